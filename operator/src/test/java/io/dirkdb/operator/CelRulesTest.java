package io.dirkdb.operator;

import io.dirkdb.operator.api.v1alpha1.Reason;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.dirkdb.operator.api.v1alpha1.DirkCluster;
import io.dirkdb.operator.api.v1alpha1.DirkClusterRules;
import io.dirkdb.operator.reconciler.DirkClusterValidator;
import io.dirkdb.operator.reconciler.SpecViolation;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CEL rules of the committed CRD, compiled and evaluated the way the API server does (CEL with
 * the strings extension and the quantity functions), against the examples and against each broken spec; the operator's Java
 * validator must agree with them.
 */
class CelRulesTest {

  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_LONG_FOR_INTS);
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  /** Kubernetes' CEL quantity library, the part the rules use: {@code quantity(string)} and {@code compareTo}. */
  private static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");
  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .addVar("self", SimpleType.DYN)
      .addVar("oldSelf", SimpleType.DYN)
      .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
      .addLibraries(CelExtensions.strings())
      .addFunctionDeclarations(
          CelFunctionDecl.newFunctionDeclaration("quantity",
              CelOverloadDecl.newGlobalOverload("string_to_quantity", QUANTITY, SimpleType.STRING)),
          CelFunctionDecl.newFunctionDeclaration("compareTo",
              CelOverloadDecl.newMemberOverload("quantity_compareTo_quantity", SimpleType.INT, QUANTITY, QUANTITY)))
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .addLibraries(CelExtensions.strings())
      .addFunctionBindings(
          CelFunctionBinding.from("string_to_quantity", String.class, text -> new KubeQuantity(new Quantity(text)
              .getNumericalAmount())),
          CelFunctionBinding.from("quantity_compareTo_quantity", KubeQuantity.class, KubeQuantity.class,
              (a, b) -> (long) a.amount().compareTo(b.amount())))
      .build();

  /** A quantity's value in the CEL runtime, compared by amount as the API server's library does. */
  record KubeQuantity(java.math.BigDecimal amount) {}

  record Rule(String where, String expression, String message) {}

  @ParameterizedTest
  @ValueSource(strings = {"basic.yaml", "ha-sync.yaml", "no-cache.yaml", "with-auth.yaml", "recovery.yaml"})
  void everyExamplePassesEveryRule(String example) throws Exception {
    DirkCluster cluster = SERIALIZATION.unmarshal(Files.readString(TestClusters.EXAMPLES.resolve(example)), DirkCluster.class);
    assertThat(brokenRules(cluster)).isEmpty();
    assertThat(new DirkClusterValidator().validate(cluster)).isEmpty();
  }

  static Stream<Arguments> brokenSpecs() {
    return ValidationTest.crossFieldRules();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenSpecs")
  void eachBrokenSpecFailsExactlyItsRuleInCelAndInJava(String name, Consumer<DirkCluster> breakIt, String reason,
      String message) throws Exception {
    DirkCluster cluster = SERIALIZATION.unmarshal(Files.readString(TestClusters.EXAMPLES.resolve("basic.yaml")),
        DirkCluster.class);
    breakIt.accept(cluster);
    assertThat(brokenRules(cluster)).containsExactly(message);
    assertThat(new DirkClusterValidator().validate(cluster)).extracting(SpecViolation::message).containsExactly(message);
  }

  @Test
  void aClusterNameTooLongForItsDerivedNamesBreaksTheNameRuleInCelAndInJava() throws Exception {
    DirkCluster cluster = SERIALIZATION.unmarshal(Files.readString(TestClusters.EXAMPLES.resolve("basic.yaml")),
        DirkCluster.class);
    cluster.getMetadata().setName("n".repeat(42));
    assertThat(brokenRules(cluster)).isEmpty();
    cluster.getMetadata().setName("n".repeat(43));
    assertThat(brokenRules(cluster)).containsExactly(DirkClusterRules.NAME_FITS_MESSAGE);
    assertThat(new DirkClusterValidator().validate(cluster)).extracting(SpecViolation::message)
        .containsExactly(DirkClusterRules.NAME_FITS_MESSAGE);
    cluster.getMetadata().setName("9lives");
    assertThat(brokenRules(cluster)).containsExactly(DirkClusterRules.NAME_FITS_MESSAGE);
  }

  @Test
  void storageTransitionRuleRefusesANewSizeOrClassOnly() throws Exception {
    Rule rule = rules().stream().filter(r -> r.where().equals("storage")).findFirst().orElseThrow();
    Map<String, Object> old = Map.of("size", "1Gi", "deleteClaimOnScaleDown", false);
    assertThat(eval(rule, old, old)).isTrue();
    assertThat(eval(rule, Map.of("size", "1Gi", "deleteClaimOnScaleDown", true), old)).isTrue();
    assertThat(eval(rule, Map.of("size", "2Gi", "deleteClaimOnScaleDown", false), old)).isFalse();
    assertThat(eval(rule, Map.of("size", "1Gi", "storageClassName", "fast", "deleteClaimOnScaleDown", false), old)).isFalse();
  }

  @Test
  void storageRuleComparesSizesAsQuantitiesInCelAndInJava() throws Exception {
    Rule rule = rules().stream().filter(r -> r.where().equals("storage")).findFirst().orElseThrow();
    Map<String, Object> old = Map.of("size", "1Gi", "deleteClaimOnScaleDown", false);
    // The same size said another way is no change; a smaller or larger one is.
    assertThat(eval(rule, Map.of("size", "1024Mi", "deleteClaimOnScaleDown", false), old)).isTrue();
    assertThat(eval(rule, Map.of("size", "1073741824", "deleteClaimOnScaleDown", false), old)).isTrue();
    assertThat(eval(rule, Map.of("size", "1000Mi", "deleteClaimOnScaleDown", false), old)).isFalse();
    assertThat(eval(rule, Map.of("size", "1G", "deleteClaimOnScaleDown", false), old)).isFalse();

    DirkCluster cluster = SERIALIZATION.unmarshal(Files.readString(TestClusters.EXAMPLES.resolve("basic.yaml")),
        DirkCluster.class);
    cluster.getMetadata().setNamespace("ns");
    StatefulSet existing = new StatefulSetBuilder().withNewSpec().addNewVolumeClaimTemplate().withNewSpec()
        .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
        .endSpec().endVolumeClaimTemplate().endSpec().build();
    cluster.getSpec().getStorage().setSize("1024Mi");
    assertThat(new DirkClusterValidator().validateStorageUnchanged(cluster, existing)).isEmpty();
    cluster.getSpec().getStorage().setSize("1000Mi");
    assertThat(new DirkClusterValidator().validateStorageUnchanged(cluster, existing)).extracting(SpecViolation::reason)
        .containsExactly(Reason.StorageFixed);
  }

  @Test
  void aRecoveryToBothAnLsnAndATimeBreaksTheRecoveryRuleInCelAndInJava() throws Exception {
    JsonNode spec = schema().at("/properties/spec/properties");
    Rule rule = rule("recovery", spec.at("/bootstrap/properties/recovery/x-kubernetes-validations/0"));
    assertThat(rule.expression()).isEqualTo(DirkClusterRules.ONE_RECOVERY_TARGET);
    Map<String, Object> lsn = Map.of("repository", "s3://b/x", "targetLsn", 5L);
    Map<String, Object> time = Map.of("repository", "s3://b/x", "targetTime", "2026-12-07T17:00:00Z");
    Map<String, Object> both = Map.of("repository", "s3://b/x", "targetLsn", 5L, "targetTime", "2026-12-07T17:00:00Z");
    assertThat(eval(rule, lsn, null)).isTrue();
    assertThat(eval(rule, time, null)).isTrue();
    assertThat(eval(rule, Map.of("repository", "s3://b/x"), null)).isTrue();
    assertThat(eval(rule, both, null)).isFalse();

    DirkCluster cluster = SERIALIZATION.unmarshal(Files.readString(TestClusters.EXAMPLES.resolve("recovery.yaml")),
        DirkCluster.class);
    cluster.getSpec().recovery().setTargetLsn(5L);
    assertThat(new DirkClusterValidator().validate(cluster)).extracting(SpecViolation::message)
        .containsExactly(rule.message());
  }

  @Test
  void bootstrapCannotChangeOnceTheClusterExists() throws Exception {
    Rule rule = rule("bootstrap", schema().at("/properties/spec/properties/bootstrap/x-kubernetes-validations/0"));
    Map<String, Object> old = Map.of("recovery", Map.of("repository", "s3://b/x"));
    assertThat(eval(rule, old, old)).isTrue();
    assertThat(eval(rule, Map.of("recovery", Map.of("repository", "s3://b/y")), old)).isFalse();
  }

  private static JsonNode schema() throws Exception {
    return new ObjectMapper(new YAMLFactory())
        .readTree(Files.readString(Path.of("..", "crds", "dirkclusters.dirkdb.io-v1.yml")))
        .at("/spec/versions/0/schema/openAPIV3Schema");
  }

  /** Messages of the rules the cluster breaks, evaluated at their place in the schema. */
  private static List<String> brokenRules(DirkCluster cluster) throws Exception {
    Map<?, ?> root = JSON.readValue(SERIALIZATION.asJson(cluster), Map.class);
    List<String> broken = new ArrayList<>();
    for (Rule rule : rules()) {
      Object self = switch (rule.where()) {
        case "root" -> root;
        case "spec" -> root.get("spec");
        default -> null; // transition rules need an old object: tested on their own
      };
      if (self != null && !eval(rule, self, null)) {
        broken.add(rule.message());
      }
    }
    return broken;
  }

  private static boolean eval(Rule rule, Object self, Object oldSelf) throws Exception {
    var program = RUNTIME.createProgram(COMPILER.compile(rule.expression()).getAst());
    Map<String, Object> input = oldSelf == null ? Map.of("self", self) : Map.of("self", self, "oldSelf", oldSelf);
    return (Boolean) program.eval(input);
  }

  private static List<Rule> rules() throws Exception {
    JsonNode schema = new ObjectMapper(new YAMLFactory())
        .readTree(Files.readString(Path.of("..", "crds", "dirkclusters.dirkdb.io-v1.yml")))
        .at("/spec/versions/0/schema/openAPIV3Schema");
    List<Rule> rules = new ArrayList<>();
    schema.get("x-kubernetes-validations").forEach(r -> rules.add(rule("root", r)));
    schema.at("/properties/spec/x-kubernetes-validations").forEach(r -> rules.add(rule("spec", r)));
    schema.at("/properties/spec/properties/storage/x-kubernetes-validations").forEach(r -> rules.add(rule("storage", r)));
    assertThat(rules).hasSize(7);
    return rules;
  }

  private static Rule rule(String where, JsonNode node) {
    return new Rule(where, node.get("rule").asText(), node.get("message").asText());
  }
}
