package io.dirkdb.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** Kubernetes manifests read from YAML streams (several documents separated by ---). */
final class Manifests {

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final List<JsonNode> documents;

  private Manifests(List<JsonNode> documents) {
    this.documents = documents;
  }

  static Manifests parse(String yaml) {
    try (var parser = YAML.getFactory().createParser(yaml)) {
      List<JsonNode> docs = new ArrayList<>();
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && doc.isObject() && doc.size() > 0) {
          docs.add(doc);
        }
      }
      return new Manifests(docs);
    } catch (IOException e) {
      throw new UncheckedIOException("not valid YAML: " + e.getMessage(), e);
    }
  }

  static JsonNode read(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(file + " is not valid YAML: " + e.getMessage(), e);
    }
  }

  List<JsonNode> all() {
    return documents;
  }

  List<JsonNode> ofKind(String kind) {
    return documents.stream().filter(kind(kind)).toList();
  }

  Optional<JsonNode> find(String kind, String name) {
    return documents.stream().filter(kind(kind).and(d -> name.equals(d.path("metadata").path("name").asText())))
        .findFirst();
  }

  JsonNode get(String kind, String name) {
    return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered; kinds: "
        + documents.stream().map(d -> d.path("kind").asText() + " " + d.path("metadata").path("name").asText())
        .toList()));
  }

  private static Predicate<JsonNode> kind(String kind) {
    return d -> kind.equals(d.path("kind").asText());
  }

  static ObjectNode object() {
    return YAML.createObjectNode();
  }
}
