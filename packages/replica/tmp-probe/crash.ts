import kuzu from "kuzu";
const db = new kuzu.Database(":memory:");
const conn = new kuzu.Connection(db);
await (await conn.query("CREATE NODE TABLE User(id STRING, name STRING, PRIMARY KEY(id))")).close();
await (await conn.query("CREATE (:User {id: 'u', name: 'hello'})")).close();
const p = await conn.prepare("MATCH (u:User {id: $id}) SET u.name = substring(u.name, 2, $len)");
console.log("prepared", p.isSuccess(), p.getErrorMessage());
const r = await conn.execute(p, { id: "u", len: Number(process.argv[2]) } as never);
console.log("executed");
