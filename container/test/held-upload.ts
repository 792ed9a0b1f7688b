/**
 * An analysis upload sent by hand on its own connection, so that a test decides when its body arrives: the
 * request line and headers (with its Content-Length) go at once, then `send` bytes of the body (after
 * `afterMs`, unless the answer has come by then), and the rest only on `finish()`. What a slow or starved sender
 * looks like to the container.
 */
import { type IncomingHttpHeaders, request } from "node:http";

/** A multipart/form-data body with `image` as the `image` field, and its Content-Type. */
export function multipartBody(image: Uint8Array, type = "image/jpeg"): { body: Buffer; contentType: string } {
  const boundary = "----held-upload";
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, image, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** From the request's start to the answer's end, in milliseconds. */
  ms: number;
}

export interface HeldUpload {
  /** The container's answer, whenever it comes (it may come before the body has been sent). */
  response: Promise<Answer>;
  /** Settles once the first `send` bytes have been handed to the operating system (or were not sent). */
  sent: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  /** Drops the connection. */
  abort(): void;
}

/**
 * @example
 * const held = holdUpload(url, multipartBody(jpeg), { send: 1000 }); // headers and 1000 bytes now
 * held.finish(); // the rest
 * holdUpload(url, multipartBody(jpeg), { send: 1000, afterMs: 300 }); // the bytes only if unanswered in 300 ms
 * const { status } = await held.response;
 */
export function holdUpload(
  url: string,
  { body, contentType }: { body: Buffer; contentType: string },
  { send = 0, afterMs = 0 }: { send?: number; afterMs?: number } = {},
): HeldUpload {
  const started = performance.now();
  const req = request(`${url}/v1/image/analysis`, {
    method: "POST",
    headers: { "Content-Type": contentType, "Content-Length": body.length },
  });
  const response = new Promise<Answer>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms: performance.now() - started }),
      );
    });
    req.on("error", reject);
  });
  // A test that drops a held upload never reads its answer: its rejection is not an unhandled one.
  response.catch(() => {});
  // Headers now, whether or not any body follows.
  req.flushHeaders();
  let answered = false;
  response.then(
    () => {
      answered = true;
    },
    () => {},
  );
  const sent = new Promise<void>((resolve) => {
    setTimeout(() => {
      if (send > 0 && !answered) req.write(body.subarray(0, send), () => resolve());
      else resolve();
    }, afterMs);
  });
  return {
    response,
    sent,
    finish: () => req.end(body.subarray(send)),
    abort: () => req.destroy(),
  };
}
