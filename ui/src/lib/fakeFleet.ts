// The seeded fleet of the fake backend (fakeTransport.ts): agent names, task titles, how their
// states are mixed, what blocked and asking tasks say, the resources they touch, and a seeded
// random source so previews look the same every time.

import type { TaskState } from "../bindings/TaskState";

export const FLEET: { name: string; port: number; version: string; titles: string[] }[] = [
  {
    name: "researcher",
    port: 7801,
    version: "0.4.2",
    titles: [
      "Summarise Q3 churn interviews",
      "Find pricing pages of 12 competitors",
      "Collect citations for the SOC 2 memo",
      "Compare vector DB benchmarks",
      "Read the EU AI Act annex III",
      "Cluster support tickets by theme",
      "Extract entities from board minutes",
      "Scan arXiv for agent evals",
    ],
  },
  {
    name: "writer",
    port: 7802,
    version: "1.2.0",
    titles: [
      "Draft release notes for 2.4",
      "Rewrite onboarding email #3",
      "Blog post: why we moved to SQLite",
      "Polish the churn summary",
      "Changelog for the billing fix",
      "Landing page copy, variant B",
      "Translate FAQ to German",
      "Summarise the all-hands",
    ],
  },
  {
    name: "crm-sync",
    port: 7803,
    version: "0.9.1",
    titles: [
      "Sync contact 42 status to CRM",
      "Merge duplicate accounts (Acme)",
      "Backfill lead source for Oct",
      "Update deal stages from Stripe",
      "Tag churn-risk accounts",
      "Import webinar attendees",
      "Dedupe companies by domain",
      "Close stale opportunities",
    ],
  },
  {
    name: "billing-bot",
    port: 7804,
    version: "2.0.0-rc.1",
    titles: [
      "Reconcile Stripe invoices for October",
      "Refund order #8812",
      "Dunning emails for failed cards",
      "Apply annual discount to Acme",
      "Export VAT report Q3",
      "Retry failed payouts",
      "Flag invoices over 10k",
      "Credit note for ticket 4471",
    ],
  },
  {
    name: "triage",
    port: 7805,
    version: "0.3.7",
    titles: [
      "Label 40 new GitHub issues",
      "Route Slack #billing questions",
      "Escalate P1: login outage",
      "Answer refund request from Jo",
      "Assign on-call follow-ups",
      "Classify inbound sales emails",
      "Close duplicates of #1203",
      "Summarise overnight alerts",
    ],
  },
  {
    name: "editor",
    port: 7806,
    version: "0.2.0",
    titles: [
      "Copy-edit the launch post",
      "Fact-check pricing claims",
      "Tighten the FAQ answers",
      "Style pass on release notes",
    ],
  },
  {
    name: "publisher",
    port: 7807,
    version: "0.5.3",
    titles: [
      "Publish the launch post",
      "Schedule the newsletter",
      "Push docs to the CMS",
      "Update the changelog page",
    ],
  },
];

export const STATE_MIX: TaskState[] = [
  "submitted",
  "submitted",
  "working",
  "working",
  "working",
  "input_required",
  "blocked",
  "completed",
  "completed",
  "completed",
  "completed",
  "failed",
];

export const DETAILS: Partial<Record<TaskState, string[]>> = {
  input_required: [
    "Asks for approval: send 214 dunning emails?",
    "Needs a human to choose between two conflicting contact records.",
  ],
  auth_required: ["The CRM token expired; needs re-authentication."],
  blocked: [
    "Waiting for crm://contacts/42#status, still being written by crm-sync.",
    "Depends on a task that has not completed.",
    "Rate limited by api://openai (429 for 40 s).",
  ],
  failed: ["HTTP 500 from payments API after 3 retries.", "Handoff payload failed its schema."],
};

export const RESOURCES = [
  "crm://contacts/42#status",
  "slack://billing",
  "file:///drafts/release-2.4.md",
  "api://openai",
  "stripe://invoices/2026-10",
  "github://acme/app/issues",
];

/** Deterministic PRNG (mulberry32), so previews look the same every time. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
