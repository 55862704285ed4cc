/** A WebSocket double for the web client's tests: records what the client sends and lets the test play the server. */
export class FakeSocket extends EventTarget {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  constructor(readonly url: string) {
    super();
    FakeSocket.all.push(this);
  }
  send(text: string) {
    this.sent.push(text);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }
  serverSends(frame: unknown) {
    const e = new Event("message") as Event & { data: string };
    e.data = typeof frame === "string" ? frame : JSON.stringify(frame);
    this.dispatchEvent(e);
  }
  drop() {
    this.readyState = 3;
    this.dispatchEvent(new Event("close"));
  }
}
