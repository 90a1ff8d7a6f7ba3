export { NgsiLdPublisher, type NgsiLdPublisherConfig } from './ngsi-ld.publisher';
export { NGSI_LD_NULL, componentStatusAttrs, infrastructureElementFor } from './ngsi-ld.shapes';
export { OUTBOX_FILE } from './ngsi-ld-outbox.repository';
