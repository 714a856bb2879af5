package io.dirkdb.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Requests read as the API server's RBAC reads them. */
class ApiRequestTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "GET    | /api/v1/namespaces/a/pods/p                          | get              | ''        | pods                 | a | p",
      "GET    | /api/v1/namespaces/a/pods?labelSelector=x            | list             | ''        | pods                 | a | ",
      "GET    | /api/v1/pods?watch=true&resourceVersion=1            | watch            | ''        | pods                 |   | ",
      "GET    | /apis/apps/v1/namespaces/a/statefulsets?watch=1      | watch            | apps      | statefulsets         | a | ",
      "POST   | /apis/policy/v1/namespaces/a/poddisruptionbudgets    | create           | policy    | poddisruptionbudgets | a | ",
      "PUT    | /apis/dirkdb.io/v1alpha1/namespaces/a/dirkclusters/c/status | update   | dirkdb.io | dirkclusters/status  | a | c",
      "PATCH  | /apis/dirkdb.io/v1alpha1/namespaces/a/dirkclusters/c/status | patch    | dirkdb.io | dirkclusters/status  | a | c",
      "DELETE | /apis/batch/v1/namespaces/a/jobs/j                   | delete           | batch     | jobs                 | a | j",
      "DELETE | /apis/batch/v1/namespaces/a/jobs?labelSelector=x     | deletecollection | batch     | jobs                 | a | ",
      "GET    | /api/v1/namespaces/a                                 | get              | ''        | namespaces           | a | a",
  })
  void mapsMethodAndPathToVerbResourceAndNamespace(String method, String path, String verb, String group,
      String resource, String namespace, String name) {
    ApiRequest request = ApiRequest.parse(method, path);
    assertThat(request.nonResourcePath()).isFalse();
    assertThat(request.verb()).isEqualTo(verb);
    assertThat(request.apiGroup()).isEqualTo(group);
    assertThat(request.resourceWithSubresource()).isEqualTo(resource);
    assertThat(request.namespace()).isEqualTo(namespace);
    assertThat(request.name()).isEqualTo(name);
  }

  @Test
  void discoveryIsANonResourceRequest() {
    assertThat(ApiRequest.parse("GET", "/version").nonResourcePath()).isTrue();
    assertThat(ApiRequest.parse("GET", "/apis").nonResourcePath()).isTrue();
    assertThat(ApiRequest.parse("GET", "/apis/dirkdb.io/v1alpha1").nonResourcePath()).isTrue();
  }

  @Test
  void resourceNamesNeverMatchARequestThatNamesNoObject() {
    ChartRbac.Rule rule = new ChartRbac.Rule(java.util.Set.of("coordination.k8s.io"), java.util.Set.of("leases"),
        java.util.Set.of("get", "create", "list"), java.util.Set.of("dirk-operator-lease"), "ops");
    assertThat(rule.allows(ApiRequest.parse("GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/dirk-operator-lease")))
        .isTrue();
    assertThat(rule.allows(ApiRequest.parse("GET", "/apis/coordination.k8s.io/v1/namespaces/ops/leases/other"))).isFalse();
    assertThat(rule.allows(ApiRequest.parse("POST", "/apis/coordination.k8s.io/v1/namespaces/ops/leases"))).isFalse();
    assertThat(rule.allows(ApiRequest.parse("GET", "/apis/coordination.k8s.io/v1/namespaces/other/leases/dirk-operator-lease")))
        .isFalse();
  }
}
