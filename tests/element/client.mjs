// A client built on matrix-js-sdk, the SDK Element Web is made of, with its Rust crypto:
// it logs in, opens an encrypted room with cohost, sets Element's device isolation mode
// and sends commands; it prints one JSON line per reply it can read (or fails to).
// Usage: node client.mjs <homeserver> <user> <password> <bot> <signed|all> <room|dm> <command>...
// With a room id it joins that room once invited; with "dm" it opens one with the bot.
import * as sdk from "matrix-js-sdk";
import {
    AllDevicesIsolationMode,
    OnlySignedDevicesIsolationMode,
    VerificationPhase,
    VerifierEvent,
} from "matrix-js-sdk/lib/crypto-api/index.js";
import { PollResponseEvent } from "matrix-js-sdk/lib/extensible_events_v1/PollResponseEvent.js";
import { M_POLL_RESPONSE } from "matrix-js-sdk/lib/@types/polls.js";
import { M_TEXT } from "matrix-js-sdk/lib/@types/extensible_events.js";

const [baseUrl, user, password, bot, mode, where, ...commands] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, log() {}, warn() {}, error() {}, trace() {}, getChild() { return quiet; } };
const until = (deadline) => Date.now() < deadline;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const login = await sdk.createClient({ baseUrl, logger: quiet }).loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
});
const client = sdk.createClient({
    baseUrl,
    userId: login.user_id,
    deviceId: login.device_id,
    accessToken: login.access_token,
    logger: quiet,
});
await client.initRustCrypto({ useIndexedDB: false });
const crypto = client.getCrypto();
crypto.setDeviceIsolationMode(
    mode === "signed" ? new OnlySignedDevicesIsolationMode() : new AllDevicesIsolationMode(false),
);
await client.startClient({ initialSyncLimit: 20 });
await new Promise((resolve) => client.once(sdk.ClientEvent.Sync, resolve));
// Cross-signed, as every Element user is once set up.
await crypto.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
        await makeRequest({
            type: "m.login.password",
            identifier: { type: "m.id.user", user },
            password,
        });
    },
});

let room = where;
let deadline = Date.now() + 60_000;
if (where === "dm") {
    ({ room_id: room } = await client.createRoom({
        invite: [bot],
        is_direct: true,
        initial_state: [
            {
                type: "m.room.encryption",
                state_key: "",
                content: { algorithm: "m.megolm.v1.aes-sha2" },
            },
        ],
    }));
} else {
    while (until(deadline) && client.getRoom(room)?.getMyMembership() !== "invite") {
        await sleep(200);
    }
    await client.joinRoom(room);
}
deadline = Date.now() + 60_000;
while (until(deadline) && client.getRoom(room)?.getMember(bot)?.membership !== "join") {
    await sleep(200);
}
while (until(deadline) && !(await crypto.isEncryptionEnabledInRoom(room))) {
    await sleep(200);
}

// Beside plain commands: "wait:<text>" waits for a message of the bot's containing
// the text; "react" reacts 👍 to it (in the clear, as Element Web does); "thread:<cmd>"
// sends the command in a thread rooted at it; "verify" verifies the bot by emoji, as
// Element's "Verify user" does, confirming the emoji it is shown.
let last = null;

async function botMessages() {
    const found = [];
    for (const event of client.getRoom(room)?.getLiveTimeline().getEvents() ?? []) {
        if (event.getSender() !== bot || !event.isEncrypted()) continue;
        await client.decryptEventIfNeeded(event);
        found.push(event);
    }
    return found;
}

async function replyTo(eventId) {
    const deadline = Date.now() + 45_000;
    while (until(deadline)) {
        await sleep(300);
        for (const event of await botMessages()) {
            const inReplyTo = event.getContent()?.["m.relates_to"]?.["m.in_reply_to"]?.event_id;
            if (event.isDecryptionFailure() || inReplyTo === eventId) return event;
        }
    }
    return null;
}

async function report(command, reply) {
    if (reply === null) {
        console.log(JSON.stringify({ command, reply: null }));
        return;
    }
    const failed = reply.isDecryptionFailure();
    const info = failed ? null : await crypto.getEncryptionInfoForEvent(reply);
    console.log(
        JSON.stringify({
            command,
            body: failed ? null : reply.getContent().body,
            decryption_failure: failed ? reply.decryptionFailureReason : null,
            thread: reply.getContent()?.["m.relates_to"]?.rel_type === "m.thread",
            shield: info ? { colour: info.shieldColour, reason: info.shieldReason } : null,
            ...pushed(reply),
        }),
    );
}

// What Element's notification logic makes of an event, by the SDK's own evaluation of
// this account's push rules (Synapse's defaults) on the decrypted event.
function pushed(event) {
    const actions = client.getPushActionsForEvent(event, true);
    return {
        msgtype: event.getContent()?.msgtype ?? null,
        formatted: event.getContent()?.formatted_body ?? null,
        notify: actions?.notify ?? false,
        highlight: actions?.tweaks?.highlight ?? false,
    };
}

async function verify(command) {
    const request = await crypto.requestVerificationDM(bot, room);
    const settled = [VerificationPhase.Ready, VerificationPhase.Cancelled, VerificationPhase.Done];
    let deadline = Date.now() + 60_000;
    while (until(deadline) && !settled.includes(request.phase)) await sleep(200);
    let shown = null;
    if (request.phase === VerificationPhase.Ready) {
        const verifier = await request.startVerification("m.sas.v1");
        const showing = new Promise((resolve) => verifier.once(VerifierEvent.ShowSas, resolve));
        const finished = verifier.verify().catch(() => null);
        shown = await Promise.race([showing, sleep(60_000).then(() => null)]);
        if (shown !== null) await shown.confirm();
        await Promise.race([finished, sleep(60_000)]);
    }
    deadline = Date.now() + 30_000;
    let status = await crypto.getUserVerificationStatus(bot);
    while (until(deadline) && request.phase === VerificationPhase.Done && !status.isCrossSigningVerified()) {
        await sleep(200);
        status = await crypto.getUserVerificationStatus(bot);
    }
    console.log(
        JSON.stringify({
            command,
            phase: VerificationPhase[request.phase],
            cancelled: request.cancellationCode ?? null,
            emoji: shown?.sas.emoji?.map(([, name]) => name) ?? null,
            decimals: shown?.sas.decimal ?? null,
            verified: status.isCrossSigningVerified(),
        }),
    );
}

// The bot's poll in this room as Element's poll view reads it: js-sdk's Poll model,
// which the client builds from the room's (decrypted) timeline.
async function botPoll(deadline) {
    while (until(deadline)) {
        const poll = [...(client.getRoom(room)?.polls.values() ?? [])].find(
            (p) => p.rootEvent.getSender() === bot,
        );
        if (poll) return poll;
        await sleep(300);
    }
    return null;
}

for (const command of commands) {
    if (command.startsWith("poll:")) {
        // Answers the bot's poll as Element's poll view does (PollResponseEvent).
        const answer = command.slice("poll:".length);
        const poll = await botPoll(Date.now() + 60_000);
        if (poll !== null) {
            const response = PollResponseEvent.from([answer], poll.pollId).serialize();
            await client.sendEvent(room, response.type, response.content);
        }
        console.log(
            JSON.stringify({
                command,
                question: poll?.pollEvent.question.text ?? null,
                answers: poll?.pollEvent.answers.map((a) => a.id) ?? null,
                kind: poll?.pollEvent.kind.name ?? null,
                encrypted: poll?.rootEvent.isEncrypted() ?? null,
            }),
        );
    } else if (command === "pollend") {
        // Waits until the poll is ended by an end event Element accepts (from the
        // poll's sender); the end's text, and the responses Element counts.
        const poll = await botPoll(Date.now() + 30_000);
        const deadline = Date.now() + 120_000;
        while (poll !== null && until(deadline) && !poll.isEnded) await sleep(300);
        const responses = poll?.isEnded ? await poll.getResponses() : null;
        const counted = {};
        for (const event of responses?.getRelations() ?? []) {
            const chosen = M_POLL_RESPONSE.findIn(event.getContent())?.answers ?? [];
            for (const id of chosen) counted[id] = (counted[id] ?? 0) + 1;
        }
        console.log(
            JSON.stringify({
                command,
                ended: poll?.isEnded ?? false,
                end_text: poll?.endEvent ? M_TEXT.findIn(poll.endEvent.getContent()) : null,
                counted,
            }),
        );
    } else if (command === "verify") {
        await verify(command);
    } else if (command.startsWith("wait:")) {
        const text = command.slice("wait:".length);
        const deadline = Date.now() + 300_000;
        last = null;
        while (until(deadline) && last === null) {
            await sleep(300);
            last = (await botMessages()).find((e) => e.getContent()?.body?.includes(text)) ?? null;
        }
        console.log(JSON.stringify({ command, found: last !== null }));
    } else if (command.startsWith("joined:")) {
        // Waits until someone has joined the room (their device can then get room keys).
        const who = command.slice("joined:".length);
        const deadline = Date.now() + 90_000;
        while (until(deadline) && client.getRoom(room)?.getMember(who)?.membership !== "join") {
            await sleep(300);
        }
        console.log(JSON.stringify({ command, joined: client.getRoom(room)?.getMember(who)?.membership === "join" }));
    } else if (command.startsWith("push:")) {
        // Waits for a message of the bot's containing the text; how it notifies this account.
        const text = command.slice("push:".length);
        const deadline = Date.now() + 90_000;
        last = null;
        while (until(deadline) && last === null) {
            await sleep(300);
            last = (await botMessages()).find((e) => e.getContent()?.body?.includes(text)) ?? null;
        }
        console.log(JSON.stringify({ command, found: last !== null, ...(last ? pushed(last) : {}) }));
    } else if (command.startsWith("pill:")) {
        // A command with a person picked from the composer's suggestions, as Element
        // sends it: the display name in body, the id in the link and in m.mentions.
        const [prefix, who, name] = command.slice("pill:".length).split("|");
        const sent = await client.sendMessage(room, {
            msgtype: "m.text",
            body: `${prefix} ${name}`,
            format: "org.matrix.custom.html",
            formatted_body: `${prefix} <a href="https://matrix.to/#/${who}">${name}</a>`,
            "m.mentions": { user_ids: [who] },
        });
        await report(command, await replyTo(sent.event_id));
    } else if (command === "react") {
        await client.sendEvent(room, "m.reaction", {
            "m.relates_to": { rel_type: "m.annotation", event_id: last.getId(), key: "👍" },
        });
        console.log(JSON.stringify({ command, sent: true }));
    } else if (command.startsWith("thread:")) {
        const body = command.slice("thread:".length);
        const sent = await client.sendMessage(room, {
            msgtype: "m.text",
            body,
            "m.relates_to": {
                rel_type: "m.thread",
                event_id: last.getId(),
                is_falling_back: true,
                "m.in_reply_to": { event_id: last.getId() },
            },
        });
        await report(command, await replyTo(sent.event_id));
    } else {
        const sent = await client.sendTextMessage(room, command);
        await report(command, await replyTo(sent.event_id));
    }
}
client.stopClient();
process.exit(0);
