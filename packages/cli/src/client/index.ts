export { ApiClient, type ApiClientOptions, type ApiResponse, type RequestOptions } from './api-client.js';
export {
  FunlessApi,
  type ActivationFilters,
  type ActivationPage,
  type FunctionUpload,
  type GrantTarget,
  type InvokeRequestBody,
} from './funless-api.js';
