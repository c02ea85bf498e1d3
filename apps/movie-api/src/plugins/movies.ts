import type { Cache } from '@scale-lab/cache';
import { withDatabase } from '@scale-lab/db';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/** The tutorial's movie shape. */
export interface Movie {
  id: string;
  title: string;
  director: string;
  rating: number;
}

interface MovieRow extends RowDataPacket {
  id: string;
  title: string;
  director: string;
  rating: string;
}

const toMovie = (row: MovieRow): Movie => ({
  id: row.id,
  title: row.title,
  director: row.director,
  rating: Number(row.rating),
});
const COLUMNS = 'id, title, director, rating';

const MOVIES_TAG = 'movies';

export function createMovieRepository(db: Pool, cache: Cache) {
  // Every write changes what the cached reads would answer, on every replica.
  const changed = () => cache.invalidateTag(MOVIES_TAG);
  const select = async (where: string, values: (string | number)[]) => {
    const [rows] = await db.execute<MovieRow[]>(`SELECT ${COLUMNS} FROM movie ${where}`, values);
    return rows.map(toMovie);
  };
  return {
    all: () => withDatabase(() => select('ORDER BY title', [])),
    byId: (id: string) => withDatabase(async () => (await select('WHERE id = ?', [id]))[0] ?? null),
    // The column's collation is case-insensitive: "the good dinosaur" finds "The Good Dinosaur".
    byTitle: (title: string) =>
      withDatabase(async () => (await select('WHERE title = ? ORDER BY id LIMIT 1', [title]))[0] ?? null),
    byDirector: (director: string) =>
      withDatabase(() => select('WHERE director = ? ORDER BY title', [director])),

    /** Inserts; false when the id is taken (the primary key decides, so two replicas cannot both win). */
    create: (movie: Movie) =>
      withDatabase(async () => {
        const [result] = await db.execute<ResultSetHeader>(
          'INSERT IGNORE INTO movie (id, title, director, rating) VALUES (?, ?, ?, ?)',
          [movie.id, movie.title, movie.director, movie.rating],
        );
        if (result.affectedRows === 1) await changed();
        return result.affectedRows === 1;
      }),

    rate: (id: string, rating: number) =>
      withDatabase(async () => {
        const [result] = await db.execute<ResultSetHeader>('UPDATE movie SET rating = ? WHERE id = ?', [
          rating,
          id,
        ]);
        if (result.affectedRows === 1) await changed();
        return result.affectedRows === 1 ? ((await select('WHERE id = ?', [id]))[0] ?? null) : null;
      }),

    remove: (id: string) =>
      withDatabase(async () => {
        const movie = (await select('WHERE id = ?', [id]))[0];
        if (!movie) return null;
        const [result] = await db.execute<ResultSetHeader>('DELETE FROM movie WHERE id = ?', [id]);
        if (result.affectedRows === 1) await changed();
        return result.affectedRows === 1 ? movie : null;
      }),
  };
}

export type MovieRepository = ReturnType<typeof createMovieRepository>;

/** The reads, through the cache. */
export function createMovieCatalog(repository: MovieRepository, cache: Cache, ttlMs: number) {
  const options = { ttl: ttlMs, tags: [MOVIES_TAG] };
  return {
    all: cache.wrap(() => repository.all(), { ...options, name: 'movies.all' }),
    byId: cache.wrap((id: string) => repository.byId(id), { ...options, name: 'movies.byId' }),
    byTitle: cache.wrap((title: string) => repository.byTitle(title), { ...options, name: 'movies.byTitle' }),
    byDirector: cache.wrap((director: string) => repository.byDirector(director), {
      ...options,
      name: 'movies.byDirector',
    }),
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    movieRepository: MovieRepository;
    movieCatalog: ReturnType<typeof createMovieCatalog>;
  }
}

export const moviesPlugin = fp<{ cacheTtlMs: number }>(
  async (app: FastifyInstance, { cacheTtlMs }) => {
    const repository = createMovieRepository(app.db, app.cache);
    app.decorate('movieRepository', repository);
    app.decorate('movieCatalog', createMovieCatalog(repository, app.cache, cacheTtlMs));
  },
  { name: 'movie-repository', dependencies: ['scale-lab-database', 'scale-lab-cache'] },
);
