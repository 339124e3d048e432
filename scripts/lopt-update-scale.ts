// The scale of a learned optimizer's two update terms along one base-network run (issue 25): per
// inner step the momentum term α·v and the learned term α·β·F_ϕ (RMS over parameters), F_ϕ's own
// RMS and maximum, and the training loss, for a φ from a trained/ file (or `init`: φ at
// initialisation) under the rule without tanh — the rule the committed `default` run used — on a
// base task of dsl-examples/learned_optimizer.gmn's `default` preset, in float64, seed 1.
//
//   npx esbuild scripts/lopt-update-scale.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=dist/lopt-update-scale.mjs
//   node dist/lopt-update-scale.mjs BASE OPTIMIZER (TRAINED.json | init) STEPS > OUT.json
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFiles } from '../compiler/check.js';
import { baseTaskLayout, gradientSetSize, loadBaseTask } from '../runtime/tasks/learned-optimizer/base-task.js';
import { learnedOptimizationConfig } from '../runtime/tasks/learned-optimizer/config.js';
import { MOMENTUM_DECAYS, standardFeatures } from '../runtime/tasks/learned-optimizer/features.js';
import { gradientSets } from '../runtime/tasks/learned-optimizer/gradient-sets.js';
import { optimizerFor } from '../runtime/tasks/learned-optimizer/learned-optimizer.js';
import { updateDirection } from '../runtime/tasks/learned-optimizer/update-net.js';
import { accumulateGradient, initialRuleState, ruleValues } from '../runtime/tasks/learned-optimizer/update-rule.js';
import { Rng } from '../runtime/util/rng.js';

const [baseLabel, net, trainedFile, stepsArg] = process.argv.slice(2);
if (baseLabel === undefined || net === undefined || trainedFile === undefined) {
  console.error('usage: node dist/lopt-update-scale.mjs BASE OPTIMIZER (TRAINED.json | init) [STEPS]');
  process.exit(2);
}
const file = join(process.cwd(), 'dsl-examples/learned_optimizer.gmn');
const { program } = checkFiles([file]);
const module = program.roots[0]!;
const config = learnedOptimizationConfig([...module.symbols.tasks.values()][0]!, 'default');
const base = config.baseTasks.find((b) => b.label === baseLabel);
const entry = config.optimizers.find((o) => o.net === net);
if (base === undefined || entry === undefined || entry.net === 'sgdm') {
  console.error(`no base task ${baseLabel} or no optimizer with an F_ϕ named ${net} in the default preset`);
  process.exit(2);
}
const layout = baseTaskLayout(module, base);
const optimizer = optimizerFor(program, module, entry, gradientSetSize(base, layout), layout);
const task = loadBaseTask(base, layout, () => {});
const phi = trainedFile === 'init' ? optimizer.initialMeta(config.rule, new Rng(config.pes.seed))
  : Float64Array.from((JSON.parse(readFileSync(trainedFile, 'utf8')) as { phi: number[] }).phi);
const rms = (x: Float64Array): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const rng = new Rng(1);
const state = initialRuleState(task.initialTheta(rng));
const data = rng.fork();
const scalars = optimizer.scalars(phi);
const { alpha, mu, beta } = ruleValues(scalars);
const steps: Record<string, number>[] = [];
for (let t = 0; t < Number(stepsArg ?? 60); t++) {
  const batch = task.trainLoss(state.theta, data);
  accumulateGradient(state, batch.grad, scalars);
  let sets: Float64Array | undefined;
  if (optimizer.readsGradientSets && batch.factors !== undefined) {
    state.setEmas ??= MOMENTUM_DECAYS.map(() => new Float64Array(batch.factors!.length));
    sets = gradientSets(batch.factors, state.setEmas);
  }
  const F = updateDirection(optimizer.net!, phi.subarray(optimizer.scalarCount), standardFeatures({ theta: state.theta, grad: batch.grad, momenta: state.momenta }, state.step, task.tensors), sets);
  if (t % 5 === 0) {
    steps.push({ step: t, trainLoss: batch.loss, momentumTermRms: alpha * rms(state.momentum), learnedTermRms: alpha * beta * rms(F), fRms: rms(F), fMax: F.reduce((a, v) => Math.max(a, Math.abs(v)), 0) });
  }
  for (let i = 0; i < state.theta.length; i++) state.theta[i] = state.theta[i]! - alpha * (state.momentum[i]! + beta * F[i]!);
  state.step += 1;
}
console.log(JSON.stringify({ base: baseLabel, optimizer: net, phi: trainedFile, alpha, mu, beta, steps }, null, 1));
