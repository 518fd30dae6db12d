/**
 * @rlflow/engine/testing — the contract test suite every engine runs (vitest), generic over
 * engines: `describeEngineContract(name, factory, fixtures)`.
 */
export { describeEngineContract, type EngineContractFixtures } from './contract-suite.js';
