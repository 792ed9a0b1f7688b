import { createLogger } from "../../contract/log.ts";

export { describeCause } from "../../contract/log.ts";
/** The Worker's logger: JSON lines tagged `side: "worker"`. */
export const log = createLogger("worker");
