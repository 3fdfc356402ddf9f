import mysql from 'mysql2/promise'
const opts = { host: '127.0.0.1', user: 'root', database: 'test', multipleStatements: true }
const a = await mysql.createConnection(opts), b = await mysql.createConnection(opts), c = await mysql.createConnection(opts)
await a.query('CREATE TABLE IF NOT EXISTS lk2 (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT IGNORE INTO lk2 VALUES (1)')
await a.query('START TRANSACTION; SELECT * FROM lk2 WHERE id = 1 FOR UPDATE')
await b.query('SET SESSION innodb_lock_wait_timeout = 5')
const waiting = b.query('SET autocommit = 0; SELECT * FROM lk2 WHERE id = 1 FOR UPDATE').catch((e) => e.message)
for (let i = 0; i < 20; i++) {
  await new Promise((r) => setTimeout(r, 100))
  const [rows] = await c.query("SELECT trx_id, trx_state, trx_mysql_thread_id FROM information_schema.INNODB_TRX")
  const [pl] = await c.query("SELECT id, state, info FROM information_schema.processlist WHERE db = 'test' AND info LIKE '%lk2%'")
  console.log(i, JSON.stringify(rows), JSON.stringify(pl).slice(0, 200))
  if (i === 3) break
}
await a.query('ROLLBACK; DROP TABLE lk2')
console.log(await waiting)
await b.query('ROLLBACK'); await a.end(); await b.end(); await c.end()
