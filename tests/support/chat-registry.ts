/**
 * A chat registry (for `--templates`, the batching property tests and `bench/mixed.ts`): users,
 * channels, memberships, messages, edits and deletes. Written the way an application would, with
 * a batch form for every template whose footprint is known, and with templates that fail on
 * purpose (a second CREATE of one channel or message id violates the primary key) and one whose
 * footprint the replica cannot derive (a COUNT subquery: a barrier). Deleting a message leaves a
 * tombstone, as chats show it (and as docs/BATCH-FORMS.md advises for frequent deletes: a
 * transaction cannot both insert and delete relationships of one table under Kuzu 0.11, so each
 * such mix costs a commit); PURGE_MESSAGE, LEAVE_CHANNEL and DELETE_CHANNEL delete for real.
 * @module
 */
import { defineTemplates } from "@kuzu-sync/protocol";
import { z } from "zod";

const id = z.string().min(1).max(64);
const text = z.string().max(2_000);

export default defineTemplates({
  schema: [
    "CREATE NODE TABLE User(id STRING, name STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE Channel(id STRING, name STRING, topic STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE Message(id STRING, channelId STRING, authorId STRING, body STRING, edits INT64, deleted BOOLEAN, PRIMARY KEY(id))",
    "CREATE REL TABLE MEMBER(FROM User TO Channel, role STRING)",
    "CREATE REL TABLE POSTED(FROM User TO Message)",
    "CREATE REL TABLE IN_CHANNEL(FROM Message TO Channel)",
  ],
  templates: {
    CREATE_USER: {
      params: { id, name: text },
      cypher: "MERGE (u:User {id: $id}) SET u.name = $name",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (u:User {id: k}) SET u.name = r.name", keys: ["id"] },
    },
    CREATE_CHANNEL: {
      description: "Create a channel; fails when the id is taken",
      params: { id, name: text, topic: text.optional() },
      cypher: "CREATE (:Channel {id: $id, name: $name, topic: $topic})",
      batch: { cypher: "UNWIND $rows AS r CREATE (:Channel {id: r.id, name: r.name, topic: r.topic})", keys: ["id"] },
    },
    SET_TOPIC: {
      params: { channelId: id, topic: text },
      cypher: "MATCH (c:Channel {id: $channelId}) SET c.topic = $topic",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.channelId AS k MATCH (c:Channel {id: k}) SET c.topic = r.topic", keys: ["channelId"] },
    },
    JOIN_CHANNEL: {
      description: "userId joins channelId (both must exist); joining again changes the role",
      params: { userId: id, channelId: id, role: z.enum(["member", "admin"]).default("member") },
      cypher: "MATCH (u:User {id: $userId}), (c:Channel {id: $channelId}) MERGE (u)-[m:MEMBER]->(c) SET m.role = $role",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r, r.userId AS k MATCH (u:User) WHERE u.id = k " +
          "WITH u, r, r.channelId AS c MATCH (ch:Channel) WHERE ch.id = c MERGE (u)-[m:MEMBER]->(ch) SET m.role = r.role",
        keys: ["userId", "channelId"],
      },
    },
    LEAVE_CHANNEL: {
      params: { userId: id, channelId: id },
      cypher: "MATCH (u:User {id: $userId})-[m:MEMBER]->(c:Channel {id: $channelId}) DELETE m",
      batch: {
        cypher: "UNWIND $rows AS r WITH r.userId AS k, r.channelId AS c MATCH (u:User {id: k})-[m:MEMBER]->(ch:Channel) WHERE ch.id = c DELETE m",
        keys: ["userId", "channelId"],
      },
    },
    SEND_MESSAGE: {
      description: "A member posts a message; nothing when not a member; fails when the id is taken",
      params: { id, channelId: id, authorId: id, body: text },
      cypher:
        "MATCH (u:User {id: $authorId})-[:MEMBER]->(c:Channel {id: $channelId}) " +
        "CREATE (u)-[:POSTED]->(m:Message {id: $id, channelId: $channelId, authorId: $authorId, body: $body, edits: 0, deleted: false})-[:IN_CHANNEL]->(c)",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r, r.authorId AS k MATCH (u:User {id: k})-[:MEMBER]->(c:Channel) WHERE c.id = r.channelId " +
          "CREATE (u)-[:POSTED]->(m:Message {id: r.id, channelId: r.channelId, authorId: r.authorId, body: r.body, edits: 0, deleted: false})-[:IN_CHANNEL]->(c)",
        keys: ["id"],
      },
    },
    EDIT_MESSAGE: {
      description: "The author changes a message's body",
      params: { id, authorId: id, body: text },
      cypher: "MATCH (m:Message {id: $id}) WHERE m.authorId = $authorId SET m.body = $body, m.edits = m.edits + 1",
      batch: {
        cypher: "UNWIND $rows AS r WITH r, r.id AS k MATCH (m:Message {id: k}) WHERE m.authorId = r.authorId SET m.body = r.body, m.edits = m.edits + 1",
        keys: ["id"],
      },
    },
    DELETE_MESSAGE: {
      description: "Delete a message: a tombstone (body cleared, deleted set), as chats show it; its edges stay",
      params: { id },
      cypher: "MATCH (m:Message {id: $id}) SET m.body = '', m.deleted = true",
      batch: { cypher: "UNWIND $rows AS r WITH r.id AS k MATCH (m:Message {id: k}) SET m.body = '', m.deleted = true", keys: ["id"] },
    },
    PURGE_MESSAGE: {
      description: "Remove a message and its edges for good (moderation): a node and relationship delete",
      params: { id },
      cypher: "MATCH (m:Message {id: $id}) DETACH DELETE m",
      batch: { cypher: "UNWIND $rows AS r WITH r.id AS k MATCH (m:Message {id: k}) DETACH DELETE m", keys: ["id"] },
    },
    CLEAR_CHANNEL: {
      description: "Blank every message of a channel (a whole-table write: conflicts with every message)",
      params: { channelId: id },
      cypher: "MATCH (c:Channel {id: $channelId})<-[:IN_CHANNEL]-(m:Message) SET m.body = ''",
    },
    DELETE_CHANNEL: {
      params: { id },
      cypher: "MATCH (c:Channel {id: $id}) DETACH DELETE c",
      batch: { cypher: "UNWIND $rows AS r WITH r.id AS k MATCH (c:Channel {id: k}) DETACH DELETE c", keys: ["id"] },
    },
    MARK_REGULAR: {
      description: "Rename a user who posted at least `min` messages (a COUNT subquery: the replica applies it as a barrier)",
      params: { userId: id, min: z.int().min(0).max(100) },
      cypher: "MATCH (u:User {id: $userId}) WHERE COUNT { MATCH (u)-[:POSTED]->(:Message) } >= $min SET u.name = u.name + ' (regular)'",
    },
  },
});

/** Path to pass as `--templates`. */
export const CHAT_TEMPLATES_PATH = import.meta.path;
