package io.dirkdb.operator;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * An HTTP request to the Kubernetes API in the terms RBAC decides on: verb, API group, resource,
 * subresource, namespace and object name (as the API server's request-info resolver reads a path).
 *
 * @param path the URL path without query; {@code nonResourcePath} requests (discovery, /version) have no resource
 */
record ApiRequest(String verb, String apiGroup, String resource, String subresource, String namespace, String name,
    String path, boolean nonResourcePath) {

  String resourceWithSubresource() {
    return subresource == null ? resource : resource + "/" + subresource;
  }

  static ApiRequest parse(String method, String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
    List<String> parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty())
        .map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8)).toList();
    String group;
    int rest;
    if (parts.size() >= 2 && parts.get(0).equals("api")) {
      group = "";
      rest = 2;
    } else if (parts.size() >= 3 && parts.get(0).equals("apis")) {
      group = parts.get(1);
      rest = 3;
    } else {
      return new ApiRequest(method.toLowerCase(), "", "", null, null, null, path, true);
    }
    List<String> tail = parts.subList(rest, parts.size());
    if (tail.isEmpty()) {
      return new ApiRequest(method.toLowerCase(), "", "", null, null, null, path, true); // group discovery
    }
    String namespace = null;
    if (tail.get(0).equals("namespaces") && tail.size() >= 3) {
      namespace = tail.get(1);
      tail = tail.subList(2, tail.size());
    } else if (tail.get(0).equals("namespaces") && tail.size() == 2) {
      namespace = tail.get(1); // the Namespace object itself is named, and sits, where it is
    }
    String resource = tail.get(0);
    String name = tail.size() > 1 ? tail.get(1) : null;
    String subresource = tail.size() > 2 ? String.join("/", tail.subList(2, tail.size())) : null;
    boolean watch = Arrays.stream(query.split("&")).anyMatch(p -> p.equals("watch=true") || p.equals("watch=1"));
    String verb = switch (method.toUpperCase()) {
      case "GET", "HEAD" -> name == null ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> name == null ? "deletecollection" : "delete";
      default -> method.toLowerCase();
    };
    return new ApiRequest(verb, group, resource, subresource, namespace, name, path, false);
  }

  /** The refusal message a real API server writes, e.g. for {@code kubectl auth can-i}. */
  String forbiddenMessage(String user) {
    String what = name == null ? resourceWithSubresource() : resourceWithSubresource() + " \"" + name + "\"";
    String where = namespace == null ? "at the cluster scope" : "in the namespace \"" + namespace + "\"";
    return what + " is forbidden: User \"" + user + "\" cannot " + verb + " resource \"" + resourceWithSubresource()
        + "\" in API group \"" + apiGroup + "\" " + where;
  }

  @Override
  public String toString() {
    return nonResourcePath ? verb + " " + path
        : verb + " " + (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resourceWithSubresource()
            + (namespace == null ? "" : " in " + namespace) + (name == null ? "" : " name " + name);
  }
}
