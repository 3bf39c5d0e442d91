// query.mjs: runs SQL with DuckDB (the npm package @duckdb/node-api) for tests/analysis.
//   node query.mjs DIR FILE.sql       runs each statement of FILE in DIR, prints the last result
//                                     as JSON lines (one object per row)
// Values print as DuckDB's JSON forms (BIGINT as a string, timestamps as text).
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [dir, file] = process.argv.slice(2);
process.chdir(dir);
const sql = readFileSync(file, 'utf8');
const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
const reader = await con.runAndReadAll(sql);
for (const row of reader.getRowObjectsJson())
    console.log(JSON.stringify(row));
