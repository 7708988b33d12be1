import { ADMIN_SUBJECT, generateToken, hashToken } from '../../auth/index.js';
import { SubjectRole } from '../../store/index.js';
import { BadRequestError, isPlainObject, jsonObjectBody, onlyKeys, validName } from '../validation.js';
import type { RouteRegistrar } from './route-registrar.js';

const EXAMPLE = '{"subject":{"name":"alice"}}';
const ADMIN_ONLY = { config: { auth: 'admin' as const } };

function notAdmin(name: string, what: string): string {
  if (name === ADMIN_SUBJECT) {
    throw new BadRequestError(
      `the ${ADMIN_SUBJECT} subject cannot be ${what}: set its token with FL_ADMIN_TOKEN and restart the Core`,
    );
  }
  return name;
}

/** Subjects (admin token only): list names, create (token shown once), delete, rotate a token. */
export const subjectRoutes: RouteRegistrar = (app, { store, authenticator }) => {
  app.get('/v1/admin/subjects', ADMIN_ONLY, async (_request, reply) => {
    const subjects = (await store.listSubjects()).filter((s) => s.role !== SubjectRole.Admin);
    void reply.header('x-total-count', subjects.length);
    return { data: subjects.map((s) => ({ name: s.name })) };
  });

  app.post('/v1/admin/subjects', ADMIN_ONLY, async (request, reply) => {
    const body = jsonObjectBody(request, EXAMPLE);
    onlyKeys('the body', body, ['subject']);
    if (!isPlainObject(body.subject)) throw new BadRequestError(`the body must be ${EXAMPLE}`);
    onlyKeys('subject', body.subject, ['name']);
    if (body.subject.name === undefined)
      throw new BadRequestError(`subject.name is missing: send ${EXAMPLE}`);
    const name = validName('subject name', body.subject.name);
    const token = generateToken();
    await store.createSubject(name, SubjectRole.Subject, hashToken(token));
    authenticator.invalidate();
    return reply.status(201).send({ data: { name, token } });
  });

  app.delete<{ Params: { name: string } }>('/v1/admin/subjects/:name', ADMIN_ONLY, async (request, reply) => {
    const name = notAdmin(validName('subject name', request.params.name), 'deleted');
    await store.deleteSubject(name);
    authenticator.invalidate();
    return reply.status(204).send();
  });

  app.post<{ Params: { name: string } }>('/v1/admin/subjects/:name/token', ADMIN_ONLY, async (request) => {
    const name = notAdmin(validName('subject name', request.params.name), 'rotated through the API');
    const body = request.body;
    if (body !== undefined && !(isPlainObject(body) && Object.keys(body).length === 0)) {
      throw new BadRequestError('rotating a token takes no body (or an empty JSON object)');
    }
    const token = generateToken();
    await store.setSubjectTokenHash(name, hashToken(token));
    authenticator.invalidate();
    return { data: { name, token } };
  });
};
