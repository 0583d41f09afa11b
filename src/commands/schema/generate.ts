import { configModel } from "../../config/model.ts";
import { FLEET_PLAN_SCHEMA_ID, FleetPlanSchema } from "../../core/fleet/plan.ts";
import { PlanSchema } from "../../core/plan.ts";
import { EnvelopeSchema } from "../../views/envelope.ts";

export const SCHEMA_NAMES = ["config", "plan", "fleet-plan", "result"] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

const IDS: Record<SchemaName, string> = {
  config: "opsctl.config/v1",
  plan: "opsctl.plan/v1",
  "fleet-plan": FLEET_PLAN_SCHEMA_ID,
  result: "opsctl.result/v1",
};

/** JSON Schemas generated from the valibot schemas the code validates with: one source of truth. */
export async function jsonSchemaFor(name: SchemaName): Promise<Record<string, unknown>> {
  const { toJsonSchema } = await import("@valibot/to-json-schema");
  const source = { config: configModel().schema, plan: PlanSchema, "fleet-plan": FleetPlanSchema, result: EnvelopeSchema }[name];
  const schema = toJsonSchema(source, { typeMode: "input", errorMode: "ignore" }) as Record<string, unknown>;
  return { ...schema, $id: IDS[name], title: `opsctl ${name}` };
}
