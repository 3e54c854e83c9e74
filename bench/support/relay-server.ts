/**
 * Baseline for the e2e benchmark: the least a WebSocket relay can do in Bun — every frame from a
 * sender is published to all subscribers, no parsing, no storage. Prints its port on stdout.
 * @module
 */
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req, srv) {
    return srv.upgrade(req, { data: undefined }) ? undefined : new Response("upgrade required", { status: 426 });
  },
  websocket: {
    message(ws, frame) {
      if (frame === "subscribe") ws.subscribe("relay");
      else server.publish("relay", frame);
    },
  },
});
console.log(server.port);
