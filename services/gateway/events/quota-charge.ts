// Charges a caller's publishes to its org's allowance, and tells the answer where the org then stands.
import type { Caller } from "../../shared/authenticate.js";
import type { Charge } from "../../shared/publishing/event-intake.js";
import type { Quota } from "../../shared/quota.js";
import type { Admission } from "../admission.js";

export function chargeOf(admission: Admission, caller: Caller, onQuota: (quota: Quota) => void): Charge {
  return async (events) => onQuota(await admission.charge(caller, events));
}
