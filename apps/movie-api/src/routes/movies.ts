import { setCacheHeaders } from '@scale-lab/cache';
import { apiValidator, conflict, ErrorSchema, HttpError, notFound } from '@scale-lab/service';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const MovieId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Rating = Type.Number({
  minimum: 0,
  maximum: 10,
  description: 'From 0 to 10, with one decimal at most',
});
const Text = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\p{C}]+$' });
const MovieSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  director: Type.String(),
  rating: Type.Number(),
});
const IdParams = Type.Object({ id: MovieId });

/**
 * A rating as the DECIMAL(3,1) column holds it: 7.25 would be stored as 7.3 while the API answered 7.25.
 * The schema cannot say it (JSON Schema's multipleOf: 0.1 is not exact on binary floating point).
 */
function storable(rating: number): number {
  if (Math.round(rating * 10) / 10 !== rating) {
    throw new HttpError(400, `a rating has one decimal at most (got ${rating})`, 'RATING_PRECISION');
  }
  return rating;
}

export const movieRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.setValidatorCompiler(apiValidator());
  const { movieRepository, movieCatalog } = app;

  app.get('/', { schema: { summary: 'Welcome page, as in the tutorial' } }, async (_request, reply) =>
    reply.type('text/html').send("<h1 style='color:blue'>Welcome to the Movie service!</h1>"),
  );

  app.get(
    '/json',
    { schema: { summary: 'All movies', response: { 200: Type.Array(MovieSchema) } } },
    async (_request, reply) => {
      const outcome = await movieCatalog.all.fetch();
      setCacheHeaders(reply, outcome);
      return outcome.value;
    },
  );

  app.get(
    '/movies/:id',
    {
      schema: {
        summary: 'One movie by id',
        params: IdParams,
        response: { 200: MovieSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const outcome = await movieCatalog.byId.fetch(request.params.id);
      setCacheHeaders(reply, outcome);
      if (!outcome.value) throw notFound(`movie ${request.params.id} not found`);
      return outcome.value;
    },
  );

  app.get(
    '/moviesbytitle',
    {
      schema: {
        summary: 'The movie with this title (case-insensitive, whole title)',
        querystring: Type.Object({ title: Text }),
        response: { 200: MovieSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const outcome = await movieCatalog.byTitle.fetch(request.query.title);
      setCacheHeaders(reply, outcome);
      if (!outcome.value) throw notFound(`movie title not found: ${request.query.title}`);
      return outcome.value;
    },
  );

  app.get(
    '/moviesbydirector',
    {
      schema: {
        summary: 'The movies of this director (case-insensitive, whole name)',
        querystring: Type.Object({ director: Text }),
        response: { 200: Type.Array(MovieSchema), 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const outcome = await movieCatalog.byDirector.fetch(request.query.director);
      setCacheHeaders(reply, outcome);
      const movies = outcome.value;
      if (movies.length === 0) throw notFound(`no movie by director: ${request.query.director}`);
      return movies;
    },
  );

  app.post(
    '/movies/:id',
    {
      schema: {
        summary: 'Add a movie under this id (409 if the id exists)',
        params: IdParams,
        body: Type.Object({ title: Text, director: Text, rating: Rating, id: Type.Optional(MovieId) }),
        response: { 201: MovieSchema, 400: ErrorSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.id !== undefined && request.body.id !== id) {
        throw new HttpError(
          400,
          `the body's id (${request.body.id}) differs from the URL's (${id})`,
          'ID_MISMATCH',
        );
      }
      const movie = {
        id,
        title: request.body.title,
        director: request.body.director,
        rating: storable(request.body.rating),
      };
      if (!(await movieRepository.create(movie))) throw conflict(`movie ID already exists: ${id}`);
      return reply.code(201).header('location', `/movies/${id}`).send(movie);
    },
  );

  app.put(
    '/movies/:id/:rate',
    {
      schema: {
        summary: 'Set the rating of a movie (0 to 10)',
        params: Type.Object({ id: MovieId, rate: Rating }),
        response: { 200: MovieSchema, 400: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const movie = await movieRepository.rate(request.params.id, storable(request.params.rate));
      if (!movie) throw notFound(`movie ${request.params.id} not found`);
      return movie;
    },
  );

  app.delete(
    '/movies/:id',
    {
      schema: {
        summary: 'Delete a movie; answers the deleted movie',
        params: IdParams,
        response: { 200: MovieSchema, 404: ErrorSchema },
      },
    },
    async (request) => {
      const movie = await movieRepository.remove(request.params.id);
      if (!movie) throw notFound(`movie ${request.params.id} not found`);
      return movie;
    },
  );
};
