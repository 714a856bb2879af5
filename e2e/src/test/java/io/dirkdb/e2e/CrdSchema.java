package io.dirkdb.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a custom resource against a CRD's structural OpenAPI v3 schema as the API server would on
 * create: types, required fields, enums, bounds and patterns. Unknown fields are reported too: the
 * API server would silently prune them, which in an example is always a typo. CEL rules
 * (x-kubernetes-validations) are left to the operator's validation tests.
 */
final class CrdSchema {

  private final String group;
  private final String kind;
  private final List<String> servedVersions = new ArrayList<>();
  private final JsonNode crd;

  private CrdSchema(JsonNode crd) {
    this.crd = crd;
    this.group = crd.at("/spec/group").asText();
    this.kind = crd.at("/spec/names/kind").asText();
    crd.at("/spec/versions").forEach(v -> {
      if (v.path("served").asBoolean()) {
        servedVersions.add(v.path("name").asText());
      }
    });
  }

  static CrdSchema load(Path file) {
    return new CrdSchema(Manifests.read(file));
  }

  /** Problems of the resource, each as "path: what is wrong"; empty when the API server would take it. */
  List<String> validate(JsonNode resource) {
    List<String> problems = new ArrayList<>();
    String apiVersion = resource.path("apiVersion").asText();
    String version = apiVersion.startsWith(group + "/") ? apiVersion.substring(group.length() + 1) : null;
    if (version == null || !servedVersions.contains(version)) {
      problems.add("apiVersion: " + apiVersion + " is not one of " + servedVersions.stream().map(v -> group + "/" + v).toList());
      return problems;
    }
    if (!kind.equals(resource.path("kind").asText())) {
      problems.add("kind: " + resource.path("kind").asText() + " is not " + kind);
    }
    String name = resource.at("/metadata/name").asText();
    if (!name.matches("[a-z]([-a-z0-9]*[a-z0-9])?") || name.length() > 40) {
      problems.add("metadata.name: '" + name + "' is not a DNS label short enough for its children's names");
    }
    for (JsonNode v : crd.at("/spec/versions")) {
      if (v.path("name").asText().equals(version)) {
        JsonNode schema = v.at("/schema/openAPIV3Schema");
        JsonNode body = resource.deepCopy();
        ((ObjectNode) body).remove(List.of("apiVersion", "kind", "metadata"));
        check("", body, withoutEnvelope(schema), problems);
      }
    }
    return problems;
  }

  private static JsonNode withoutEnvelope(JsonNode schema) {
    var copy = (ObjectNode) schema.deepCopy();
    var properties = (ObjectNode) copy.path("properties");
    properties.remove(List.of("apiVersion", "kind", "metadata"));
    return copy;
  }

  private static void check(String path, JsonNode value, JsonNode schema, List<String> problems) {
    String where = path.isEmpty() ? "(root)" : path;
    if (schema.path("x-kubernetes-int-or-string").asBoolean()) {
      if (!value.isIntegralNumber() && !value.isTextual()) {
        problems.add(where + ": " + value + " is neither an integer nor a string");
      }
      return;
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          problems.add(where + ": expected an object, got " + value);
          return;
        }
        for (JsonNode required : schema.path("required")) {
          if (!value.has(required.asText())) {
            problems.add(where + ": missing required field " + required.asText());
          }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        value.fields().forEachRemaining(field -> {
          String child = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
          if (properties.has(field.getKey())) {
            check(child, field.getValue(), properties.get(field.getKey()), problems);
          } else if (additional.isObject()) {
            check(child, field.getValue(), additional, problems);
          } else if (!schema.path("x-kubernetes-preserve-unknown-fields").asBoolean()) {
            problems.add(child + ": unknown field (the API server would drop it)");
          }
        });
      }
      case "array" -> {
        if (!value.isArray()) {
          problems.add(where + ": expected a list, got " + value);
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          check(path + "[" + i + "]", value.get(i), schema.path("items"), problems);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          problems.add(where + ": expected a string, got " + value);
          return;
        }
        if (schema.has("pattern") && !Pattern.compile(schema.path("pattern").asText()).matcher(value.asText()).find()) {
          problems.add(where + ": '" + value.asText() + "' does not match " + schema.path("pattern").asText());
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          problems.add(where + ": expected an integer, got " + value);
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          problems.add(where + ": expected a number, got " + value);
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          problems.add(where + ": expected true or false, got " + value);
        }
      }
      default -> {
        // No type: anything goes (the schema says nothing more).
      }
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode allowed : schema.path("enum")) {
        listed |= allowed.equals(value);
      }
      if (!listed) {
        problems.add(where + ": " + value + " is not one of " + schema.path("enum"));
      }
    }
    if (value.isNumber() && schema.has("minimum") && value.asDouble() < schema.path("minimum").asDouble()) {
      problems.add(where + ": " + value + " is below the minimum " + schema.path("minimum"));
    }
    if (value.isNumber() && schema.has("maximum") && value.asDouble() > schema.path("maximum").asDouble()) {
      problems.add(where + ": " + value + " is above the maximum " + schema.path("maximum"));
    }
  }
}
