/**
 * Writes the hash's golden images (pixels.ts) for make_golden.py: <dir>/<name>.raw (interleaved 8-bit) and
 * <dir>/manifest.json (width, height, channels, sha256 of the pixels). Nothing of it is committed: values.json
 * keeps each image's sha256, and golden-v3-hash.test.ts checks that it hashes the very same pixels.
 *
 *     npx -y -p node@24 -- node --import tsx container/test/golden-v3/hash/export.ts /tmp/golden-v3-hash
 *     /usr/bin/python3 container/test/golden-v3/hash/make_golden.py /tmp/golden-v3-hash
 */
import { exportGoldenPixels } from "../../golden-v2/pixels.ts";
import { hashImages } from "./pixels.ts";

console.log(exportGoldenPixels(process.argv[2] ?? "/tmp/golden-v3-hash", await hashImages()));
