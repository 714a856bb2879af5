package io.dirkdb.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/**
 * The image definitions (the images profiles of dirk-server-image and operator) say what the pods
 * rely on: a JRE base, the non-root user the chart and the operator's pods run as, the dirk entry
 * point and the DirkDB ports. Building the images needs Docker or a registry; this needs neither.
 */
class ImagesTest {

  private static final String NON_ROOT = "10001";

  @Test
  void dirkImageRunsTheDirkEntryPointAsNonRootWithTheDirkPorts() throws Exception {
    Document pom = pom("dirk-server-image/pom.xml");
    String jib = "//profile[id='images']//plugin[artifactId='jib-maven-plugin']/configuration";
    assertThat(text(pom, jib + "/from/image")).endsWith("-jre");
    assertThat(texts(pom, jib + "/from/platforms/platform/architecture")).as("multi-arch when pushed")
        .containsExactly("amd64", "arm64");
    assertThat(text(pom, jib + "/container/user")).isEqualTo(NON_ROOT + ":" + NON_ROOT);
    assertThat(texts(pom, jib + "/container/entrypoint/arg")).containsExactly("/usr/local/bin/dirk");
    assertThat(texts(pom, jib + "/container/ports/port"))
        .as("member, proxy, cache, and the health/metrics ports")
        .contains("3948", "3949", "3951", "8080", "8081");
    assertThat(text(pom, "//profile[id='images']/properties/dirk.image"))
        .isEqualTo("dirkdb/dirk:" + ChartTest.appVersion());
  }

  @Test
  void operatorImageIsBuiltOnlyInTheImagesProfileAsNonRoot() throws Exception {
    Document pom = pom("operator/pom.xml");
    String profile = "//profile[id='images']";
    assertThat(text(pom, profile + "/properties/quarkus.container-image.build")).isEqualTo("true");
    assertThat(text(pom, profile + "/properties/quarkus.jib.base-jvm-image")).endsWith("-jre");
    assertThat(text(pom, profile + "/properties/quarkus.jib.user")).isEqualTo(NON_ROOT + ":" + NON_ROOT);
    assertThat(text(pom, profile + "/properties/quarkus.jib.platforms")).isEqualTo("linux/amd64,linux/arm64");
    assertThat(texts(pom, profile + "/dependencies/dependency/artifactId")).contains("quarkus-container-image-jib");
    assertThat(texts(pom, "/project/dependencies/dependency/artifactId"))
        .as("the normal build never builds an image").doesNotContain("quarkus-container-image-jib");
    assertThat(text(pom, "/project/properties/quarkus.container-image.build")).isEmpty();

    var pod = ChartRbacTest.render().get("Deployment", "dirk-operator").at("/spec/template/spec/securityContext");
    assertThat(pod.path("runAsUser").asText()).as("the chart runs the operator as the image's user").isEqualTo(NON_ROOT);
  }

  private static Document pom(String path) throws Exception {
    Path file = KubeTools.repoRoot().resolve(path);
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
  }

  private static String text(Document doc, String xpath) throws Exception {
    return XPathFactory.newInstance().newXPath().evaluate(xpath, doc).trim();
  }

  private static List<String> texts(Document doc, String xpath) throws Exception {
    NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, doc, XPathConstants.NODESET);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add(nodes.item(i).getTextContent().trim());
    }
    return out;
  }
}
