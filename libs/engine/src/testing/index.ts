/**
 * @rlflow/engine/testing — the contract test suite every engine runs (vitest), generic over
 * engines: `describeEngineContract(name, factory, fixtures)`.
 */
export { describeEngineContract, type EngineContractFixtures } from './contract-suite.js';
export { awayFromKinks, objectiveCaseArb, objectiveConfigArb, objectiveInputArb, type BoundsKind, type ConfigChoices } from '../objective/arbitraries.js';
