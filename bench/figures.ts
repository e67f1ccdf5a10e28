// Turns the sections' measurements into the report's rows and the chart's bars.
import type { Bar, LatencyBars } from "./chart.js";
import type { MemoryByService } from "./memory.js";
import { fixedRate } from "./plan.js";
import type { Row } from "./report.js";
import { capacityP95Ms, type DeliveryFigures, type DeliveryStep } from "./sections/delivery.js";
import type { Floors } from "./sections/floors.js";
import type { InboxFigures } from "./sections/inbox.js";
import type { IngestFigures } from "./sections/ingest.js";

export interface Measurements {
  floors: Floors;
  ingest: IngestFigures;
  delivery: DeliveryFigures;
  inbox: InboxFigures;
  memoryIdle: MemoryByService;
  memoryUnderLoad: MemoryByService;
  /** Whether Postgres was a server others may use too, whose work then counts in its CPU (see BenchStack). */
  postgresShared: boolean;
}

// The targets for this machine.
const maxFixedRateP99Ms = 10;
const maxDeliveryP95Ms = 50;
const maxDeliveryP95RateTarget = 500;
const minCapacity = 1_000;
const maxDeliveryAndPostgresCpuUs = 400;
const maxInboxP95Ms = 10;
const maxRssMb = 150;

export function rows(m: Measurements): Row[] {
  const { floors, ingest, delivery, inbox } = m;
  const alternative = (value: number) => ({ name: "alternative", value });
  const postgres = postgresName(m);
  return [
    { section: "floor", figure: "bare node:http", value: floors.bareHttp.perSecond, unit: "req/s" },
    { section: "floor", figure: "connect-node unary JSON", value: floors.connectUnary.perSecond, unit: "req/s" },
    { section: "floor", figure: "JetStream publishes with acks", value: floors.jetstream, unit: "msg/s" },
    { section: "floor", figure: "one-process alternative", value: ingest.alternative.perSecond, unit: "events/s" },
    {
      section: "ingest",
      figure: "events/s, 64 connections",
      value: ingest.stack.perSecond,
      unit: "events/s",
      floor: alternative(ingest.alternative.perSecond),
      target: { minRatio: 1 },
    },
    { section: "ingest", figure: "p50", value: ingest.stack.p50, unit: "ms", floor: alternative(ingest.alternative.p50) },
    { section: "ingest", figure: "p95", value: ingest.stack.p95, unit: "ms", floor: alternative(ingest.alternative.p95) },
    { section: "ingest", figure: "p99", value: ingest.stack.p99, unit: "ms", floor: alternative(ingest.alternative.p99) },
    { section: "ingest", figure: "errors", value: ingest.stack.errors, unit: "", target: { max: 0 } },
    ...Object.entries(ingest.cpuPerEvent.stack).map(
      ([service, us]): Row => ({ section: "ingest", figure: `CPU per event, ${service}`, value: us ?? Number.NaN, unit: "µs" }),
    ),
    { section: "ingest", figure: "CPU per event, NATS", value: ingest.cpuPerEvent.nats ?? Number.NaN, unit: "µs" },
    {
      section: "ingest",
      figure: `CPU per event, ${postgres}`,
      value: ingest.cpuPerEvent.postgres ?? Number.NaN,
      unit: "µs",
      floor: alternative(ingest.cpuPerEvent.alternativePostgres ?? Number.NaN),
    },
    { section: "ingest", figure: "CPU per event, alternative", value: ingest.cpuPerEvent.alternative ?? Number.NaN, unit: "µs" },
    { section: `${fixedRate}/s`, figure: "events/s served", value: ingest.fixedRate.perSecond, unit: "events/s" },
    ...(["p50", "p95", "p99"] as const).map(
      (p): Row => ({
        section: `${fixedRate}/s`,
        figure: p,
        value: ingest.fixedRate[p],
        unit: "ms",
        floor: alternative(ingest.alternativeFixedRate[p]),
        ...(p === "p99" ? { target: { max: maxFixedRateP99Ms } } : {}),
      }),
    ),
    { section: `${fixedRate}/s`, figure: "errors", value: ingest.fixedRate.errors, unit: "", target: { max: 0 } },
    ...deliveryRows(delivery, postgres),
    { section: "inbox", figure: "events stored for the org", value: inbox.stored, unit: "events" },
    {
      section: "inbox",
      figure: "first page p50",
      value: inbox.firstPage.p50,
      unit: "ms",
      floor: alternative(inbox.alternativeFirstPage.p50),
    },
    {
      section: "inbox",
      figure: "first page p95",
      value: inbox.firstPage.p95,
      unit: "ms",
      floor: alternative(inbox.alternativeFirstPage.p95),
      target: { max: maxInboxP95Ms },
    },
    { section: "inbox", figure: "deep page p50", value: inbox.deepPage.p50, unit: "ms", floor: alternative(inbox.alternativeDeepPage.p50) },
    {
      section: "inbox",
      figure: "deep page p95",
      value: inbox.deepPage.p95,
      unit: "ms",
      floor: alternative(inbox.alternativeDeepPage.p95),
      target: { max: maxInboxP95Ms },
    },
    {
      section: "inbox",
      figure: "pages/s, 4 clients",
      value: inbox.firstPage.perSecond,
      unit: "pages/s",
      floor: alternative(inbox.alternativeFirstPage.perSecond),
    },
    ...Object.keys(m.memoryIdle).flatMap((service): Row[] => [
      { section: "memory", figure: `${service} idle`, value: m.memoryIdle[service] ?? Number.NaN, unit: "MB" },
      {
        section: "memory",
        figure: `${service} under load`,
        value: m.memoryUnderLoad[service] ?? Number.NaN,
        unit: "MB",
        target: { max: maxRssMb },
      },
    ]),
  ];
}

/** How the rows name Postgres: a shared server's CPU holds its other users' work too, and the name says so. */
function postgresName(m: Measurements): string {
  return m.postgresShared ? "Postgres (shared server)" : "Postgres";
}

function deliveryRows({ steps, capacity }: DeliveryFigures, postgres: string): Row[] {
  const perRate = steps.flatMap((step): Row[] => {
    const section = `delivery ${step.rate}/s`;
    return [
      { section, figure: "p50", value: step.p50, unit: "ms" },
      {
        section,
        figure: "p95",
        value: step.p95,
        unit: "ms",
        target: step.rate === maxDeliveryP95RateTarget ? { max: maxDeliveryP95Ms } : undefined,
      },
      { section, figure: "p99", value: step.p99, unit: "ms" },
      { section, figure: "accepted of asked", value: step.accepted, unit: `of ${step.asked}` },
      { section, figure: "delivered of accepted", value: step.delivered, unit: `of ${step.accepted}`, target: { min: step.accepted } },
      { section, figure: "CPU per event, delivery", value: step.deliveryCpuUs, unit: "µs" },
      { section, figure: `CPU per event, ${postgres}`, value: step.postgresCpuUs, unit: "µs" },
    ];
  });
  const atTarget = steps.find((step) => step.rate === minCapacity) ?? steps.at(-1);
  return [
    ...perRate,
    {
      section: "delivery",
      figure: `capacity (the rate accepted, every event delivered, p95 ≤ ${capacityP95Ms} ms)`,
      value: capacity,
      unit: "events/s",
      target: { min: minCapacity },
    },
    ...(atTarget
      ? [
          {
            section: "delivery",
            figure: `CPU per event at ${atTarget.rate}/s, delivery and Postgres`,
            value: atTarget.deliveryCpuUs + atTarget.postgresCpuUs,
            unit: "µs",
            target: { max: maxDeliveryAndPostgresCpuUs },
          },
        ]
      : []),
  ];
}

/** The step at the rate whose p95 has a target, for the chart. */
function deliveryAtTargetRate(delivery: DeliveryFigures): DeliveryStep | undefined {
  return delivery.steps.find((step) => step.rate === maxDeliveryP95RateTarget);
}

// The floors an order of magnitude above these (bare HTTP, JetStream) are in the table: on one scale they hide the rest.
export function throughputBars(m: Measurements): Bar[] {
  return [
    { label: "floor: connect-node unary JSON", value: m.floors.connectUnary.perSecond },
    { label: "one-process alternative", value: m.ingest.alternative.perSecond },
    { label: "Triggers ingest, 64 connections", value: m.ingest.stack.perSecond },
    { label: "Triggers inbox pages, 4 clients", value: m.inbox.firstPage.perSecond },
    { label: "alternative inbox pages, 4 clients", value: m.inbox.alternativeFirstPage.perSecond },
  ];
}

export function latencyBars(m: Measurements): LatencyBars[] {
  return [
    { label: "ingest, 64 conn.", ...m.ingest.stack },
    { label: "alternative, 64 conn.", ...m.ingest.alternative },
    { label: `ingest at ${fixedRate}/s`, ...m.ingest.fixedRate },
    { label: `alternative at ${fixedRate}/s`, ...m.ingest.alternativeFixedRate },
    ...[deliveryAtTargetRate(m.delivery)].flatMap((step) => (step ? [{ label: `delivery at ${step.rate}/s`, ...step }] : [])),
    { label: "inbox first page", ...m.inbox.firstPage },
    { label: "inbox deep page", ...m.inbox.deepPage },
  ];
}
