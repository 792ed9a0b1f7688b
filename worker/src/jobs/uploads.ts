/**
 * Where a job's uploaded files are kept: a small one in its item's row (its bytes travel with the job's
 * creation and its claim, no R2 call for it), any other in R2 under the job's prefix, in a folder per attempt
 * of the submission. Every file under the prefix is deleted when the job ends and again when it is deleted
 * (and, if both fail, by the bucket's lifecycle rule, docs/OPERATIONS.md).
 */

/**
 * The largest uploaded file kept in its item's row instead of R2, in bytes. A claim carries the bytes of a
 * queue batch's items (at most 100 on Cloudflare), so 100 × this stays well under a Durable Object call's
 * 32 MiB; a SQLite row may hold 2 MB.
 */
export const INLINE_FILE_MAX_BYTES = 128 * 1024;
/**
 * The most bytes of small files one job keeps in its rows, in bytes: they travel in the one call that creates
 * the job (a Durable Object call carries at most 32 MiB) and sit in the Worker's memory until then. The files
 * beyond go to R2.
 */
export const INLINE_JOB_MAX_BYTES = 16 * 1024 * 1024;

/** R2 keys of a job's uploads start with this. */
export const uploadPrefix = (jobId: string) => `jobs/${jobId}/`;

/**
 * Where one attempt of a submission keeps its files in R2: under the job's prefix (whose clean-up deletes
 * everything there), in a folder of its own. The job's ID follows from the owner and the Idempotency-Key, so
 * two attempts of one submission (a client's retry, sent while the first is still uploading) name the same job:
 * with keys of their own, the attempt that finds the job already created deletes its own files, never the live
 * job's.
 *
 * @example
 * attemptPrefix("job_3f2a…"); // "jobs/job_3f2a…/9c1b0e2f4a6d8e10/"
 */
export function attemptPrefix(jobId: string): string {
  return `${uploadPrefix(jobId)}${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}/`;
}

/**
 * Deletes every upload of a job, one listing page at a time: when it ends (none is needed any more) and when
 * it is deleted.
 *
 * @example
 * await deleteUploads(env.UPLOADS, "job_3f2a…");
 */
export async function deleteUploads(bucket: R2Bucket, jobId: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const listed = await bucket.list({ prefix: uploadPrefix(jobId), cursor });
    if (listed.objects.length > 0) await bucket.delete(listed.objects.map((o) => o.key));
    cursor = listed.truncated ? listed.cursor : undefined;
  } while (cursor);
}
