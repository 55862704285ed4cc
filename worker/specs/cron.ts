import { registerCronTask } from "../ops/cron";
import { watchRuns } from "./watch";

/** The runner watch runs every minute: a dead runner is found within 90 s + a minute of its last heartbeat. */
registerCronTask("spec_runner_watch", async (env, now) => void (await watchRuns(env, now.getTime())), { everyMinute: true });
