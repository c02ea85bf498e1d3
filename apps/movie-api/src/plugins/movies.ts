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

export function createMovieRepository(db: Pool) {
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
        return result.affectedRows === 1;
      }),

    rate: (id: string, rating: number) =>
      withDatabase(async () => {
        const [result] = await db.execute<ResultSetHeader>('UPDATE movie SET rating = ? WHERE id = ?', [
          rating,
          id,
        ]);
        return result.affectedRows === 1 ? ((await select('WHERE id = ?', [id]))[0] ?? null) : null;
      }),

    remove: (id: string) =>
      withDatabase(async () => {
        const movie = (await select('WHERE id = ?', [id]))[0];
        if (!movie) return null;
        const [result] = await db.execute<ResultSetHeader>('DELETE FROM movie WHERE id = ?', [id]);
        return result.affectedRows === 1 ? movie : null;
      }),
  };
}

export type MovieRepository = ReturnType<typeof createMovieRepository>;

declare module 'fastify' {
  interface FastifyInstance {
    movieRepository: MovieRepository;
  }
}

export const moviesPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorate('movieRepository', createMovieRepository(app.db));
  },
  { name: 'movie-repository', dependencies: ['scale-lab-database'] },
);
