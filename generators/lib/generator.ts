// Turns the option schema into a plop generator: one prompt per option (its
// default read from the target monorepo, its validation the schema's), and a
// single action that plans the whole scaffold and writes it all or nothing.
// plop's own `add` action is not used because it writes file by file and
// would leave a half-scaffolded package behind on the first conflict.
import type { CustomActionFunction, NodePlopAPI, PlopGeneratorConfig, PromptQuestion } from 'node-plop';
import type { Monorepo } from './monorepo.js';
import { InputError } from './monorepo.js';
import { optionsFor, resolveAnswers, type Answers, type Kind, type OptionSpec } from './options.js';
import { applyPlan, planScaffold, type Plan } from './plan.js';

/** Where a generator finds its target monorepo, read once and shared by prompts and action. */
export interface GeneratorContext {
  monorepo(): Promise<Monorepo>;
}

/** A prompt for one option: default and validation straight from the schema. */
export function promptFor(spec: OptionSpec, ctx: GeneratorContext): PromptQuestion {
  return {
    type: spec.choices ? 'list' : 'input',
    name: spec.key,
    message: spec.message,
    ...(spec.choices ? { choices: [...spec.choices] } : {}),
    default: async (answers: Partial<Answers>) => spec.default(await ctx.monorepo(), answers),
    validate: async (input: unknown, answers?: Partial<Answers>) => {
      try {
        spec.parse(input, await ctx.monorepo(), answers ?? {});
        return true;
      } catch (err) {
        if (err instanceof InputError) return err.message;
        throw err;
      }
    },
  };
}

export function promptsFor(kind: Kind, ctx: GeneratorContext): PromptQuestion[] {
  return optionsFor(kind).map((spec) => promptFor(spec, ctx));
}

/** The plan for raw answers (prompt strings or parsed values), validated again by the schema. */
export async function planFor(kind: Kind, raw: Record<string, unknown>, ctx: GeneratorContext, plop: NodePlopAPI): Promise<Plan> {
  const mono = await ctx.monorepo();
  const answers = await resolveAnswers(kind, { flags: raw, yes: false }, mono);
  return planScaffold(kind, answers, mono, (template, data) => plop.renderString(template, data));
}

export function summary(plan: Plan): string {
  const created = plan.changes.filter((c) => c.before === null);
  const inside = created.filter((c) => c.path.startsWith(`${plan.dir}/`)).length;
  // Files created outside the package (its deployment manifests) are named, like the files changed.
  const outside = created.filter((c) => !c.path.startsWith(`${plan.dir}/`)).map((c) => c.path);
  const changed = plan.changes.filter((c) => c.before !== null).map((c) => c.path);
  return `${plan.dir}: ${inside} files created${outside.length > 0 ? `; created ${outside.join(', ')}` : ''}${changed.length > 0 ? `; updated ${changed.join(', ')}` : ''}`;
}

/** The generator's only action: plan, refuse on any conflict, write everything. */
export function scaffoldAction(kind: Kind, ctx: GeneratorContext): CustomActionFunction {
  return async (answers, _config, plop) => {
    const plan = await planFor(kind, answers, ctx, plop);
    applyPlan((await ctx.monorepo()).root, plan);
    return summary(plan);
  };
}

export function defineGenerator(kind: Kind, description: string, ctx: GeneratorContext): Partial<PlopGeneratorConfig> {
  return { description, prompts: promptsFor(kind, ctx), actions: [scaffoldAction(kind, ctx)] };
}
