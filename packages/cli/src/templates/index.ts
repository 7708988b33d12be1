export {
  newProject,
  TEMPLATE_LANGUAGES,
  TEMPLATES_DIR,
  type NewProjectOptions,
  type TemplateLanguage,
} from './new-project.js';
