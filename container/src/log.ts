import { createLogger } from "../../contract/log.ts";

export { describeCause } from "../../contract/log.ts";
/** The container's logger: JSON lines tagged `side: "container"`. */
export const log = createLogger("container");
