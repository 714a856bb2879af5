package io.dirkdb.operator;

import io.fabric8.mockwebserver.DefaultMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * For an operator built as production runs (server-side apply), which the Fabric8 mock answers with 415:
 * records every apply request (path and body) and answers it with the applied object, so the operator
 * goes on to its next child. Nothing is stored: a test reads what the operator applied from {@link #applied()}.
 * Installed behind the RBAC gate, so apply requests are still checked against the chart's rules.
 */
final class ServerSideApplyRecorder extends Dispatcher {

  private final Dispatcher next;
  private final List<String> applied = new CopyOnWriteArrayList<>();

  private ServerSideApplyRecorder(Dispatcher next) {
    this.next = next;
  }

  /** Puts a recorder in front of the server's current dispatcher (call before OperatorTestServerSetup). */
  static ServerSideApplyRecorder install(KubernetesServer server) {
    try {
      Field webServerField = DefaultMockServer.class.getDeclaredField("server");
      webServerField.setAccessible(true);
      MockWebServer webServer = (MockWebServer) webServerField.get(server.getKubernetesMockServer());
      Field dispatcherField = MockWebServer.class.getDeclaredField("dispatcher");
      dispatcherField.setAccessible(true);
      ServerSideApplyRecorder recorder = new ServerSideApplyRecorder((Dispatcher) dispatcherField.get(webServer));
      webServer.setDispatcher(recorder);
      return recorder;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot put the apply recorder in front of the Fabric8 mock server", e);
    }
  }

  /** "PATH BODY" of every apply request so far. */
  List<String> applied() {
    return List.copyOf(applied);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String type = request.getHeader("Content-Type");
    if ("PATCH".equalsIgnoreCase(request.getMethod()) && type != null && type.startsWith("application/apply-patch")) {
      String body = request.getBody() == null ? "" : new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
      applied.add(request.getPath() + " " + body);
      return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(body);
    }
    return next.dispatch(request);
  }
}
