/**
 * A ZIP reader for the tests of a job's ZIP (GET /v1/jobs/{job_id}/results?format=zip), written from PKWARE's
 * APPNOTE.TXT rather than taken from the library that wrote it: the end of central directory record, the central
 * directory's entries, each entry's local header and its stored bytes, checked against the CRC-32 the directory
 * gives. Stored entries only (client-zip never deflates); ZIP64 is refused, a test's ZIP being small.
 */
import { crc32 } from "./stripes.ts";

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

export interface ZipEntry {
  name: string;
  bytes: Uint8Array;
  /** The entry's modification time as the directory stores it (MS-DOS date and time, local). */
  dosDate: number;
}

/**
 * The entries of a ZIP, in the central directory's order.
 *
 * @example
 * readZip(new Uint8Array(await res.arrayBuffer())).map((e) => e.name); // ["results.csv", …]
 */
export function readZip(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== END_OF_DIRECTORY) end--;
  if (end < 0) throw new Error("Expected an end of central directory record but received none");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== DIRECTORY_ENTRY) throw new Error(`Expected a directory entry at ${at}`);
    const method = view.getUint16(at + 10, true);
    const dosDate = view.getUint32(at + 12, true);
    const crc = view.getUint32(at + 16, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const offset = view.getUint32(at + 42, true);
    const name = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    if (method !== 0) throw new Error(`Expected a stored entry for ${name} but received method ${method}`);
    if (size === 0xffffffff || offset === 0xffffffff) throw new Error(`Expected no ZIP64 for ${name}`);
    if (view.getUint32(offset, true) !== LOCAL_HEADER) throw new Error(`Expected a local header for ${name}`);
    const dataAt = offset + 30 + view.getUint16(offset + 26, true) + view.getUint16(offset + 28, true);
    const bytes = zip.subarray(dataAt, dataAt + size);
    if (crc32(bytes) !== crc) throw new Error(`Expected ${name}'s CRC-32 to match its bytes`);
    entries.push({ name, bytes, dosDate });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
