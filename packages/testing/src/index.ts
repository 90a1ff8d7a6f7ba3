export { FakeClock } from './fake-clock';
export { TEST_IMAGE, instanceSpec, sleeperSpec } from './instance-spec';
export { testMicroservice, testSla } from './sla';
export { sleep, waitFor } from './wait';
export { freePort } from './ports';
export {
  containersOfNode,
  containersWithLabel,
  docker,
  dockerInspect,
  dockerInspectExisting,
  ensureTestImage,
  removeContainersOfNode,
  removeContainersWithLabel,
  type InspectedContainer,
} from './docker';
export { makeTestPki, type TestPki } from './test-pki';
export { malformedEncodings, postMalformedEncodings } from './encodings';
