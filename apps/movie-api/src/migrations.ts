import type { Migration } from '@scale-lab/db';

// The tutorial's catalogue (ids as in its movies.json), so its URLs and examples work unchanged.
const catalogue = [
  ['720d006c-3a57-4b6a-b18f-9b713b073f3c', 'The Good Dinosaur', 'Peter Sohn', 7.4],
  ['a8034f44-aee4-44cf-b32c-74cf452aaaae', 'The Martian', 'Ridley Scott', 8.2],
  ['96798c08-d19b-4986-a05d-7da856efb697', 'The Night Before', 'Jonathan Levine', 7.4],
  ['267eedb8-0f5d-42d5-8f43-72426b9fb3e6', 'Creed', 'Ryan Coogler', 8.8],
  ['7daf7208-be4d-4944-a3ae-c1c2f516f3e6', 'Victor Frankenstein', 'Paul McGuigan', 6.4],
  ['39ab85e5-5e8e-4dc5-afea-65dc368bd7ab', 'The Danish Girl', 'Tom Hooper', 5.3],
] as const;

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export const movieMigrations: readonly Migration[] = [
  {
    name: 'movie table',
    sql: `CREATE TABLE IF NOT EXISTS movie (
      id VARCHAR(64) NOT NULL PRIMARY KEY,
      title VARCHAR(200) NOT NULL,
      director VARCHAR(200) NOT NULL,
      rating DECIMAL(3, 1) NOT NULL,
      INDEX movie_title (title),
      INDEX movie_director (director)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
  },
  {
    // The catalogue is seeded once per database (marked here), so a movie a student deletes stays deleted
    // when replicas restart.
    name: 'seed marker table',
    sql: 'CREATE TABLE IF NOT EXISTS movie_seed (seeded TINYINT NOT NULL PRIMARY KEY)',
  },
  {
    name: 'seed rows',
    sql: `INSERT INTO movie (id, title, director, rating)
      SELECT * FROM (${catalogue
        .map(
          ([id, title, director, rating]) =>
            `SELECT ${quote(id)} AS id, ${quote(title)} AS title, ${quote(director)} AS director, ${rating} AS rating`,
        )
        .join(' UNION ALL ')}) AS seed
      WHERE NOT EXISTS (SELECT 1 FROM movie_seed)`,
  },
  { name: 'seed marker', sql: 'INSERT IGNORE INTO movie_seed (seeded) VALUES (1)' },
];
