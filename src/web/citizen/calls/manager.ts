// One call at a time on this device: the WebRTC peer connection, the microphone and camera, and the
// signalling over a socket of its own to the call's chat room (docs/protocol.md, "Calls"). A call rings here
// when the inbox socket says so (every device of the callee hears it, whatever it shows); answering sends
// the answer on the room socket, and the server tells the other devices to stop ringing.
import {
  type CallIncomingFrame,
  type CallRecord,
  type CallStateFrame,
  type ClientFrame,
  type IceCandidate,
  RoomFrame,
} from "../../../chat/protocol";
import { request } from "../../lib/api";
import { LiveSocket } from "../../lib/ws";
import { Store } from "../state";
import { type Sas, shortAuthCode } from "./sas";

export type CallPhase = "incoming" | "outgoing" | "connecting" | "active" | "ended";

export interface CallView {
  phase: CallPhase;
  chatId: string;
  callId: string;
  peerName: string | null;
  video: boolean;
  /** When the call was answered (ms), for the duration shown. */
  answeredAt: number | null;
  micOn: boolean;
  camOn: boolean;
  peerMicOn: boolean;
  peerCamOn: boolean;
  code: Sas | null;
  local: MediaStream | null;
  remote: MediaStream | null;
  /** Why it ended (a `call_state` reason), or a local failure. */
  endReason: string | null;
}

/** How long ICE gathering may take before the offer or answer goes out (candidates found later trickle). */
const GATHER_MS = 3_000;
/** How long the "ended" screen stays. */
const ENDED_SHOWN_MS = 2_500;

type Candidate = NonNullable<IceCandidate>;

/** How a call this device placed ended, for a chat whose clients record their calls (a secret chat). */
export type CallOutcome = Pick<CallRecord, "callId" | "video" | "outcome" | "durationSec">;
export type OnCallEnded = (record: CallOutcome) => void;
/** Ends of a call that rang (or was answered) on the other side; refusals before it rang are not recorded. */
const RECORDED_ENDS: ReadonlySet<string> = new Set(["declined", "busy", "no_answer", "cancelled", "hangup", "failed"]);

export class CallManager extends Store<CallView | null> {
  private pc: RTCPeerConnection | null = null;
  private socket: LiveSocket<RoomFrame> | null = null;
  private outbox: ClientFrame[] = [];
  private offer: string | null = null;
  private offerWaiters: ((sdp: string) => void)[] = [];
  private pendingIce: Candidate[] = [];
  /** Whether this device sent its invite or answer (candidates from then on trickle to the other side). */
  private signalled = false;
  private answering = false;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by the caller's chat when the clients write the call's record (a secret chat); called once. */
  private onEnded: OnCallEnded | null = null;

  constructor() {
    super(null);
  }

  private get view(): CallView | null {
    return this.getSnapshot();
  }

  private patch(p: Partial<CallView>): void {
    const v = this.view;
    if (v) this.set({ ...v, ...p });
  }

  private busy(): boolean {
    const v = this.view;
    return v !== null && v.phase !== "ended";
  }

  // ---- the inbox: ringing, and answered or ended elsewhere ----

  onInbox(f: CallIncomingFrame | CallStateFrame): void {
    if (f.type === "call_incoming") {
      // Already in a call on this device: the server says busy to a second caller; nothing rings here.
      if (this.busy()) return;
      this.reset();
      this.set(fresh("incoming", f.chatId, f.callId, f.callerName, f.video));
      this.openSocket(f.chatId);
      return;
    }
    this.onState(f);
  }

  private onState(f: CallStateFrame): void {
    const v = this.view;
    if (!v || v.callId !== f.callId || v.phase === "ended") return;
    if (f.state === "ended") this.finish(f.reason ?? "hangup");
    // Answered on another device: this one stops ringing.
    else if (f.state === "active" && v.phase === "incoming" && !this.answering) this.close();
    else if (f.state === "active" && v.phase === "outgoing") this.patch({ phase: "connecting" });
  }

  // ---- starting, answering, declining, hanging up ----

  async start(chatId: string, peerName: string | null, video: boolean, onEnded?: OnCallEnded): Promise<void> {
    if (this.busy()) return;
    this.reset();
    this.onEnded = onEnded ?? null;
    const callId = crypto.randomUUID();
    this.set(fresh("outgoing", chatId, callId, peerName, video));
    try {
      const pc = await this.connect(video);
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await gathered(pc);
      if (this.view?.callId !== callId) return;
      this.openSocket(chatId);
      this.signal({ type: "call_invite", callId, video, sdp: pc.localDescription?.sdp ?? offer.sdp ?? "" });
    } catch (err) {
      this.fail(err);
    }
  }

  async answer(): Promise<void> {
    const v = this.view;
    if (v?.phase !== "incoming" || this.answering) return;
    this.answering = true;
    this.patch({ phase: "connecting" });
    try {
      const offer = this.offer ?? (await new Promise<string>((resolve) => this.offerWaiters.push(resolve)));
      const pc = await this.connect(v.video);
      await pc.setRemoteDescription({ type: "offer", sdp: offer });
      await this.flushIce();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await gathered(pc);
      if (this.view?.callId !== v.callId) return;
      this.signal({ type: "call_answer", callId: v.callId, sdp: pc.localDescription?.sdp ?? answer.sdp ?? "" });
      this.patch({ answeredAt: Date.now() });
      await this.computeCode();
    } catch (err) {
      this.fail(err);
    }
  }

  decline(): void {
    const v = this.view;
    if (v?.phase !== "incoming") return;
    this.sendNow({ type: "call_decline", callId: v.callId });
    this.finish("declined");
  }

  hangUp(): void {
    const v = this.view;
    if (!v || v.phase === "ended") return;
    this.sendNow({ type: "call_hangup", callId: v.callId });
    this.finish(v.phase === "outgoing" ? "cancelled" : "hangup");
  }

  toggleMic(): void {
    const v = this.view;
    if (!v?.local) return;
    const on = !v.micOn;
    for (const track of v.local.getAudioTracks()) track.enabled = on;
    this.patch({ micOn: on });
    this.sendMedia();
  }

  toggleCam(): void {
    const v = this.view;
    if (!v?.local) return;
    const on = !v.camOn;
    for (const track of v.local.getVideoTracks()) track.enabled = on;
    this.patch({ camOn: on });
    this.sendMedia();
  }

  private sendMedia(): void {
    const v = this.view;
    if (v && this.signalled) this.signal({ type: "call_media", callId: v.callId, audio: v.micOn, video: v.camOn });
  }

  /** Signed out, or the app closes: the call ends. */
  stop(): void {
    if (this.busy()) this.hangUp();
    this.close();
  }

  // ---- WebRTC ----

  private async connect(video: boolean): Promise<RTCPeerConnection> {
    let local: MediaStream;
    try {
      local = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    } catch {
      throw new Error("no_media");
    }
    const iceServers = await request<{ iceServers: RTCIceServer[] }>("/calls/ice-servers", { method: "POST", body: {} }).then(
      (r) => r.iceServers,
      // No TURN answer: try directly (works on one network, and often through simple NATs).
      () => [],
    );
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    for (const track of local.getTracks()) pc.addTrack(track, local);
    const remote = new MediaStream();
    pc.ontrack = (e) => {
      for (const track of e.streams[0]?.getTracks() ?? [e.track]) if (!remote.getTracks().includes(track)) remote.addTrack(track);
      this.patch({ remote: new MediaStream(remote.getTracks()) });
    };
    pc.onicecandidate = (e) => {
      const v = this.view;
      // Before the invite or answer the candidates are in its SDP; after it they trickle.
      if (!v || !this.signalled) return;
      this.signal({ type: "call_ice", callId: v.callId, candidate: e.candidate ? candidateOf(e.candidate) : null });
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") this.patch({ phase: "active", answeredAt: this.view?.answeredAt ?? Date.now() });
      if (pc.connectionState === "failed") this.fail(new Error("failed"));
    };
    this.patch({ local });
    return pc;
  }

  private async flushIce(): Promise<void> {
    const pc = this.pc;
    if (!pc?.remoteDescription) return;
    const pending = this.pendingIce;
    this.pendingIce = [];
    for (const c of pending) await pc.addIceCandidate(c).catch(() => undefined);
  }

  private async computeCode(): Promise<void> {
    const local = this.pc?.localDescription?.sdp;
    const remote = this.pc?.remoteDescription?.sdp;
    if (local && remote) this.patch({ code: await shortAuthCode(local, remote) });
  }

  // ---- the room socket ----

  private openSocket(chatId: string): void {
    this.socket?.stop();
    const socket = new LiveSocket({
      url: () => `/api/v1/chats/${chatId}/ws`,
      schema: RoomFrame,
      onFrame: (f) => void this.onRoomFrame(f),
      onOpen: () => this.flushOutbox(),
    });
    this.socket = socket;
    socket.start();
  }

  private signal(frame: ClientFrame): void {
    this.outbox.push(frame);
    if (frame.type === "call_invite" || frame.type === "call_answer") this.signalled = true;
    this.flushOutbox();
  }

  /** Hang-up and decline: sent if the socket is open, and the call ends here whatever happens. */
  private sendNow(frame: ClientFrame): void {
    if (!this.socket?.send(frame)) this.outbox.push(frame);
  }

  private flushOutbox(): void {
    while (this.outbox.length > 0 && this.socket?.send(this.outbox[0] as ClientFrame)) this.outbox.shift();
  }

  private async onRoomFrame(f: RoomFrame): Promise<void> {
    const v = this.view;
    if (!v) return;
    switch (f.type) {
      case "call_invite":
        if (f.callId !== v.callId) return;
        this.offer = f.sdp;
        for (const w of this.offerWaiters.splice(0)) w(f.sdp);
        return;
      case "call_answer":
        if (f.callId !== v.callId || !this.pc || this.pc.remoteDescription) return;
        await this.pc.setRemoteDescription({ type: "answer", sdp: f.sdp });
        await this.flushIce();
        this.patch({ phase: "connecting", answeredAt: Date.now() });
        await this.computeCode();
        return;
      case "call_ice":
        if (f.callId !== v.callId || f.candidate === null) return;
        this.pendingIce.push(f.candidate);
        await this.flushIce();
        return;
      case "call_media":
        if (f.callId === v.callId) this.patch({ peerMicOn: f.audio, peerCamOn: f.video });
        return;
      case "call_state":
        return this.onState(f);
      case "error":
        // The room refused the call (busy chat, blocked, not allowed): it ends here with its reason.
        if (["call_in_progress", "blocked", "call_not_allowed", "no_such_call", "call_answered", "rate_limited"].includes(f.code)) {
          if (f.code === "call_answered" && v.phase === "connecting") return this.close();
          this.finish(f.code);
        }
        return;
      default:
        return;
    }
  }

  // ---- ending ----

  private fail(err: unknown): void {
    const v = this.view;
    if (!v) return;
    if (this.signalled || v.phase === "incoming" || v.phase === "connecting")
      this.sendNow({ type: v.phase === "incoming" ? "call_decline" : "call_hangup", callId: v.callId });
    this.finish(err instanceof Error && err.message === "no_media" ? "no_media" : "failed");
  }

  private finish(reason: string): void {
    const v = this.view;
    if (!v || v.phase === "ended") return;
    this.release();
    this.record(v, reason);
    this.set({ ...v, phase: "ended", endReason: reason, local: null, remote: null });
    clearTimeout(this.endTimer);
    this.endTimer = setTimeout(() => {
      if (this.view?.phase === "ended" && this.view.callId === v.callId) this.close();
    }, ENDED_SHOWN_MS);
  }

  /**
   * The caller's record of a call it placed, for a chat that records its own calls: the same outcomes the
   * room writes elsewhere (src/chat/calls/call.ts `endCall`). A call that never reached the other side
   * (no microphone, refused by the room before it rang) is no call at all.
   */
  private record(v: CallView, reason: string): void {
    const onEnded = this.onEnded;
    this.onEnded = null;
    if (!onEnded || !this.signalled) return;
    const answered = v.answeredAt !== null;
    if (!answered && !RECORDED_ENDS.has(reason)) return;
    const outcome: CallRecord["outcome"] = answered
      ? "answered"
      : reason === "declined"
        ? "declined"
        : reason === "busy"
          ? "busy"
          : "missed";
    const durationSec = v.answeredAt === null ? 0 : Math.max(0, Math.round((Date.now() - v.answeredAt) / 1000));
    onEnded({ callId: v.callId, video: v.video, outcome, durationSec });
  }

  private release(): void {
    this.pc?.close();
    this.pc = null;
    for (const track of this.view?.local?.getTracks() ?? []) track.stop();
    // Frames still queued (a hang-up) go first; the socket closes once they are out.
    const socket = this.socket;
    this.socket = null;
    const outbox = this.outbox;
    this.outbox = [];
    if (socket) {
      for (const f of outbox) socket.send(f);
      setTimeout(() => socket.stop(), 500);
    }
  }

  private close(): void {
    this.release();
    this.reset();
    this.set(null);
  }

  private reset(): void {
    clearTimeout(this.endTimer);
    this.offer = null;
    this.offerWaiters = [];
    this.pendingIce = [];
    this.outbox = [];
    this.signalled = false;
    this.answering = false;
    this.onEnded = null;
  }
}

function fresh(phase: CallPhase, chatId: string, callId: string, peerName: string | null, video: boolean): CallView {
  return {
    phase,
    chatId,
    callId,
    peerName,
    video,
    answeredAt: null,
    micOn: true,
    camOn: video,
    peerMicOn: true,
    peerCamOn: video,
    code: null,
    local: null,
    remote: null,
    endReason: null,
  };
}

function candidateOf(c: RTCIceCandidate): Candidate {
  return { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment };
}

/** Resolves when ICE gathering completes, or after GATHER_MS (what was found by then is in the SDP). */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, GATHER_MS);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** This device's calls. */
export const calls = new CallManager();
