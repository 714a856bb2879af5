package io.dirkdb.operator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.dirkdb.heartbeat.MemberAddress;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The operator shares a few classes with the data plane (heartbeats, the failover decision, the protocol client, TLS
 * settings) through the module {@code dirk-common}, and takes nothing else of it: no engine, storage, proxy or cache in
 * its image, whose {@code lib/} is its runtime class path. The data plane itself is a test dependency only (the tests
 * start real members, proxies and caches), so these checks read the operator's compiled classes and the runtime class
 * path Maven resolved ({@code target/runtime-classpath.txt}), not the test's class path.
 */
class OperatorDependenciesTest {

  /** Every class of dirk-common, read from where the test found one of them (its jar or its target/classes). */
  private static final Set<String> COMMON = classNames(codeSource(MemberAddress.class));

  private static final JavaClasses OPERATOR = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.dirkdb.operator");

  @Test
  void theOperatorsCodeUsesNoDirkDbClassOutsideItselfAndDirkCommon() {
    assertThat(COMMON).contains(MemberAddress.class.getName(), "io.dirkdb.replication.FailoverPolicy");
    classes().that().resideInAPackage("io.dirkdb.operator..")
        .should().onlyDependOnClassesThat(DescribedPredicate.describe(
            "are the operator's, dirk-common's or not DirkDB's", OperatorDependenciesTest::allowed))
        .because("the operator's image holds dirk-common, not the data plane (engine, proxy, cache...)")
        .check(OPERATOR);
  }

  @Test
  void dirkCommonHoldsNothingOfTheEngineStorageProxyOrCache() {
    assertThat(COMMON)
        .noneMatch(name -> name.matches("io\\.dirkdb\\.(storage|proxy|cache|sql|cli|backup|http)\\..*"))
        .filteredOn(name -> name.startsWith("io.dirkdb.engine."))
        .as("of the engine only its result model (Result), which the protocol's replies carry")
        .allMatch(name -> name.equals("io.dirkdb.engine.Result") || name.startsWith("io.dirkdb.engine.Result$"));
  }

  @Test
  void theRuntimeClassPathHoldsNoDirkDbClassButDirkCommons() throws IOException {
    Path file = Path.of(System.getProperty("dirk.test.runtimeClasspath", "target/runtime-classpath.txt"));
    assertThat(file).as("written by maven-dependency-plugin at generate-test-resources").exists();
    String classPath = Files.readString(file).strip();
    Map<String, List<String>> foreign = new TreeMap<>();
    for (String entry : classPath.split(File.pathSeparator)) {
      List<String> strangers = classNames(Path.of(entry)).stream()
          .filter(name -> name.startsWith("io.dirkdb.") && !COMMON.contains(name)).sorted().limit(5).toList();
      if (!strangers.isEmpty()) {
        foreign.put(entry, strangers);
      }
    }
    assertThat(classPath).contains("dirk-common");
    assertThat(foreign).as("runtime class path entries with DirkDB classes that are not dirk-common's").isEmpty();
  }

  private static boolean allowed(JavaClass target) {
    JavaClass type = target.getBaseComponentType();
    String name = type.getName();
    return !name.startsWith("io.dirkdb.") || name.startsWith("io.dirkdb.operator.") || COMMON.contains(name);
  }

  private static Path codeSource(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The binary names of the classes in a jar or a class directory (none for anything else). */
  private static Set<String> classNames(Path entry) {
    try {
      if (Files.isDirectory(entry)) {
        try (Stream<Path> files = Files.walk(entry)) {
          return files.filter(f -> f.toString().endsWith(".class"))
              .map(f -> binaryName(entry.relativize(f).toString().replace(File.separatorChar, '/')))
              .collect(Collectors.toSet());
        }
      }
      if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
        try (ZipFile jar = new ZipFile(entry.toFile())) {
          return jar.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class"))
              .map(OperatorDependenciesTest::binaryName).collect(Collectors.toSet());
        }
      }
      return Set.of();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + entry, e);
    }
  }

  private static String binaryName(String classFile) {
    return classFile.substring(0, classFile.length() - ".class".length()).replace('/', '.');
  }
}
