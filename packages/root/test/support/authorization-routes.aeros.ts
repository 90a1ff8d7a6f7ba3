import { anyUser, type Route } from './authorization-matrix';

/**
 * The aerOS LLO API: every authenticated caller may list and read (its own CRs only); creating
 * needs a YAML body and a live IE, covered in aeros-llo.int-spec.ts and the e2e layer.
 */
export function aerosRoutes(): Route[] {
  return [
    {
      name: 'LLO version',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/version' }),
      expect: { other: 200, own: 200, admin: 200 },
    },
    {
      name: 'LLO list',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/v1/service-components?type=docker' }),
      expect: { other: 200, own: 200, admin: 200 },
    },
    {
      name: 'LLO get unknown',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/v1/service-components/nope?type=docker' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'LLO create from JSON',
      aeros: true,
      method: 'POST',
      prepare: () => ({ path: '/v1/service-components', body: { kind: 'ServiceComponentDocker' } }),
      expect: { other: 400, own: 400, admin: 400 },
    },
    // aerOS's HLO allocation API: a component nobody made is 404 for every caller that gets in.
    {
      name: 'HLO get unknown component',
      aeros: true,
      method: 'GET',
      prepare: () => ({ path: '/hlo_al/services/nosvc/service_components/nocomp/' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'HLO delete unknown component',
      aeros: true,
      method: 'DELETE',
      prepare: () => ({ path: '/hlo_al/services/nosvc/service_components/nocomp/' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
  ];
}

const K8S = '/k8s/apis/llo.aeros-project.eu/v1alpha1';

/**
 * The Kubernetes surface under /k8s: the same rules (a token for all but /k8s/version, one's own
 * CRs only), and every error a Kubernetes `Status`. Creating needs a live IE: the e2e layer.
 */
export function k8sRoutes(): Route[] {
  return [
    {
      name: 'k8s version',
      method: 'GET',
      prepare: () => ({ path: '/k8s/version' }),
      expect: anyUser,
      anonymous: 200,
    },
    { name: 'k8s api', method: 'GET', prepare: () => ({ path: '/k8s/api' }), expect: anyUser },
    { name: 'k8s api/v1', method: 'GET', prepare: () => ({ path: '/k8s/api/v1' }), expect: anyUser },
    { name: 'k8s apis', method: 'GET', prepare: () => ({ path: '/k8s/apis' }), expect: anyUser },
    {
      name: 'k8s group',
      method: 'GET',
      prepare: () => ({ path: '/k8s/apis/llo.aeros-project.eu' }),
      expect: anyUser,
    },
    { name: 'k8s resources', method: 'GET', prepare: () => ({ path: K8S }), expect: anyUser },
    { name: 'k8s openapi v2', method: 'GET', prepare: () => ({ path: '/k8s/openapi/v2' }), expect: anyUser },
    { name: 'k8s openapi v3', method: 'GET', prepare: () => ({ path: '/k8s/openapi/v3' }), expect: anyUser },
    {
      name: 'k8s openapi v3 group',
      method: 'GET',
      prepare: () => ({ path: '/k8s/openapi/v3/apis/llo.aeros-project.eu/v1alpha1' }),
      expect: anyUser,
    },
    {
      name: 'k8s namespaces',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces' }),
      expect: anyUser,
    },
    {
      name: 'k8s namespace',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces/default' }),
      expect: anyUser,
    },
    {
      name: 'k8s events',
      method: 'GET',
      prepare: () => ({ path: '/k8s/api/v1/namespaces/default/events' }),
      expect: anyUser,
    },
    {
      name: 'k8s list all namespaces',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/servicecomponentdockers` }),
      expect: anyUser,
    },
    {
      name: 'k8s list',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentk8s` }),
      expect: anyUser,
    },
    {
      name: 'k8s get unknown',
      method: 'GET',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope` }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s create invalid',
      method: 'POST',
      prepare: () => ({
        path: `${K8S}/namespaces/default/servicecomponentdockers`,
        body: { apiVersion: 'llo.aeros-project.eu/v1alpha1', kind: 'ServiceComponentDocker', metadata: { name: 'x' } },
      }),
      expect: { other: 422, own: 422, admin: 422 },
    },
    {
      name: 'k8s replace unknown',
      method: 'PUT',
      prepare: () => ({
        path: `${K8S}/namespaces/default/servicecomponentdockers/nope`,
        body: {
          apiVersion: 'llo.aeros-project.eu/v1alpha1',
          kind: 'ServiceComponentDocker',
          metadata: { name: 'nope' },
        },
      }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s patch unknown',
      method: 'PATCH',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope`, body: {} }),
      // application/json is no patch type: 415 before any lookup.
      expect: { other: 415, own: 415, admin: 415 },
    },
    {
      name: 'k8s delete unknown',
      method: 'DELETE',
      prepare: () => ({ path: `${K8S}/namespaces/default/servicecomponentdockers/nope` }),
      expect: { other: 404, own: 404, admin: 404 },
    },
    {
      name: 'k8s unknown path',
      method: 'GET',
      prepare: () => ({ path: '/k8s/apis/apps/v1' }),
      expect: { other: 404, own: 404, admin: 404 },
    },
  ];
}
