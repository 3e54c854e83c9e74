/**
 * The event mixes of `bench/mixed.ts`, generated from a seed so every run (and every replica)
 * gets the same history: a social network (the example registry), a chat (tests/support's chat
 * registry) and a social network with one hub author and account.
 * @module
 */
import { seeded } from "../../tests/support/seeded.ts";

/** One event to send: a template and its parameters. */
export interface Draft {
  readonly template: string;
  readonly params: Record<string, unknown>;
}

/** A generated history; the first `setup` events only create what the rest works on. */
export interface Mix {
  readonly name: string;
  readonly events: readonly Draft[];
  readonly setup: number;
}


/** Pick by weight: `weights` maps a name to its share. */
function chooser<K extends string>(rnd: () => number, weights: Record<K, number>): () => K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  return () => {
    let x = rnd() * total;
    for (const [k, w] of entries) if ((x -= w) < 0) return k;
    return entries[entries.length - 1]![0];
  };
}

export interface SocialOptions {
  /** Share of posts written by user `u0` (the hub), and of follows that target it. */
  readonly hubShare?: number;
  readonly weights?: Partial<Record<"post" | "follow" | "increment" | "rename" | "create", number>>;
}

/**
 * The social mix of issue 13: 5k users created, then posts 30%, follows 25%, counter increments
 * 25% (over 1000 counters), renames 15%, late user creates 5%, interleaved at random.
 * @example const mix = socialMix(20_000);
 */
export function socialMix(n: number, options: SocialOptions = {}, seed = 13): Mix {
  const rnd = seeded(seed);
  const setup = Math.min(n, Math.max(1, Math.round(n / 4)));
  const events: Draft[] = [];
  let users = 0;
  let posts = 0;
  const user = () => `u${Math.floor(rnd() * users)}`;
  for (; users < setup; users++) events.push({ template: "CREATE_USER", params: { id: `u${users}`, name: `User ${users}`, email: `u${users}@example.com` } });
  const hub = options.hubShare ?? 0;
  const next = chooser(rnd, { post: 30, follow: 25, increment: 25, rename: 15, create: 5, ...options.weights });
  while (events.length < n) {
    switch (next()) {
      case "post":
        events.push({ template: "CREATE_POST", params: { id: `p${posts++}`, authorId: rnd() < hub ? "u0" : user(), content: `post ${posts} `.repeat(4) } });
        break;
      case "follow":
        events.push({ template: "FOLLOW_USER", params: { followerId: user(), targetId: rnd() < hub ? "u0" : user() } });
        break;
      case "increment":
        events.push({ template: "INCREMENT_COUNTER", params: { counterId: `c${Math.floor(rnd() * 1000)}`, amount: 1 + Math.floor(rnd() * 5) } });
        break;
      case "rename":
        events.push({ template: "UPDATE_USER", params: { id: user(), name: `Renamed ${events.length}` } });
        break;
      case "create":
        events.push({ template: "CREATE_USER", params: { id: `u${users}`, name: `User ${users}`, email: `u${users++}@example.com` } });
        break;
    }
  }
  return { name: hub > 0 ? "hub" : "social", events, setup };
}

/**
 * A social mix where one author writes 20% of the posts and is the target of 20% of the follows,
 * and posts are half of the events after the users are created.
 * @example const mix = hubMix(20_000);
 */
export function hubMix(n: number, seed = 17): Mix {
  return socialMix(n, { hubShare: 0.2, weights: { post: 50, follow: 15, increment: 20, rename: 10, create: 5 } }, seed);
}

/**
 * A chat: 1 user per 20 events, 1 channel per 400, 4 joins per user up front; then messages 65%,
 * edits 12%, joins 10%, topic changes 5%, message deletes (tombstones) 5%, leaves 0.5% (by
 * default; `leaveShare`). Messages are sent by members of the channel, edits by the message's
 * author. Leaving deletes a MEMBER relationship while joins insert them, so every leave between
 * joins ends a transaction (packages/replica/src/rel-hazards.ts): the share of leaves matters
 * (docs/BENCHMARKS.md). CLEAR_CHANNEL, PURGE_MESSAGE and MARK_REGULAR are left out: a
 * whole-table write, a relationship delete and a barrier, which a chat would run rarely.
 * @example const mix = chatMix(20_000);
 */
export function chatMix(n: number, seed = 19, leaveShare = 0.5): Mix {
  const rnd = seeded(seed);
  const events: Draft[] = [];
  const nUsers = Math.max(2, Math.round(n / 20));
  const nChannels = Math.max(1, Math.round(n / 400));
  for (let i = 0; i < nUsers; i++) events.push({ template: "CREATE_USER", params: { id: `u${i}`, name: `User ${i}` } });
  for (let i = 0; i < nChannels; i++) events.push({ template: "CREATE_CHANNEL", params: { id: `ch${i}`, name: `Channel ${i}`, topic: "welcome" } });
  const members: Set<string>[] = Array.from({ length: nChannels }, () => new Set());
  const join = (u: string, c: number) => {
    members[c]!.add(u);
    events.push({ template: "JOIN_CHANNEL", params: { userId: u, channelId: `ch${c}`, role: rnd() < 0.1 ? "admin" : "member" } });
  };
  for (let i = 0; i < nUsers; i++) for (let j = 0; j < 4; j++) join(`u${i}`, Math.floor(rnd() * nChannels));
  const setup = events.length;
  const messages: { id: string; author: string }[] = [];
  let sent = 0;
  const next = chooser(rnd, { send: 65, edit: 12, join: 10, topic: 5, delete: 5, leave: leaveShare });
  while (events.length < n) {
    const c = Math.floor(rnd() * nChannels);
    const inChannel = [...members[c]!];
    switch (next()) {
      case "send": {
        if (inChannel.length === 0) break;
        const author = inChannel[Math.floor(rnd() * inChannel.length)]!;
        const id = `m${sent++}`;
        messages.push({ id, author });
        events.push({ template: "SEND_MESSAGE", params: { id, channelId: `ch${c}`, authorId: author, body: `message ${sent} `.repeat(3) } });
        break;
      }
      case "edit": {
        const m = messages[Math.floor(rnd() * messages.length)];
        if (m) events.push({ template: "EDIT_MESSAGE", params: { id: m.id, authorId: m.author, body: `edited ${events.length}` } });
        break;
      }
      case "join":
        join(`u${Math.floor(rnd() * nUsers)}`, c);
        break;
      case "topic":
        events.push({ template: "SET_TOPIC", params: { channelId: `ch${c}`, topic: `topic ${events.length}` } });
        break;
      case "delete": {
        const m = messages.length > 0 ? messages.splice(Math.floor(rnd() * messages.length), 1)[0] : undefined;
        if (m) events.push({ template: "DELETE_MESSAGE", params: { id: m.id } });
        break;
      }
      case "leave": {
        if (inChannel.length === 0) break;
        const u = inChannel[Math.floor(rnd() * inChannel.length)]!;
        members[c]!.delete(u);
        events.push({ template: "LEAVE_CHANNEL", params: { userId: u, channelId: `ch${c}` } });
        break;
      }
    }
  }
  return { name: "chat", events: events.slice(0, n), setup };
}
