// What each plan allows: how many events an org may publish a minute.
import { maxCustomEventsPerMinute } from "../shared/api-limits.js";
import { InvalidField } from "../shared/domain-errors.js";

const limits = { free: 100, pro: 1_000, business: 10_000 } as const;
const plans = [...Object.keys(limits), "custom"] as const;

export interface Plan {
  plan: string;
  eventsPerMinute: number;
}

/** The plan asked for with its limit; a custom limit is required for the custom plan and refused for the others. */
export function planOf(plan: string, customLimit: number): Plan {
  const name = plan || "free";
  if (name === "custom") {
    if (customLimit < 1 || customLimit > maxCustomEventsPerMinute) {
      throw new InvalidField("events_per_minute", `a custom plan's events_per_minute must be from 1 to ${maxCustomEventsPerMinute}`);
    }
    return { plan: name, eventsPerMinute: customLimit };
  }
  if (!(name in limits)) throw new InvalidField("plan", `plan must be one of ${plans.join(", ")}`);
  if (customLimit !== 0) throw new InvalidField("events_per_minute", "events_per_minute is set by the plan, except for a custom one");
  return { plan: name, eventsPerMinute: limits[name as keyof typeof limits] };
}
