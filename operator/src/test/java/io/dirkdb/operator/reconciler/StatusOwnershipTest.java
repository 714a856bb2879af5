package io.dirkdb.operator.reconciler;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.dirkdb.operator.api.v1alpha1.DirkClusterStatus;
import io.dirkdb.operator.api.v1alpha1.MemberStatus;
import org.junit.jupiter.api.Test;

/**
 * Who writes which field of a DirkCluster's status is in one place: {@link StatusWriter}, a method per concern. Read
 * from the operator's compiled classes, no other class calls a setter of the status or of a member's status (a
 * second writer of {@code phase} is how a failover's FailingOver got overwritten by an observation).
 */
class StatusOwnershipTest {

  private static final JavaClasses OPERATOR = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.dirkdb.operator");

  @Test
  void onlyTheStatusWriterSetsAFieldOfTheStatus() {
    noClasses().that().doNotBelongToAnyOf(StatusWriter.class, DirkClusterStatus.class)
        .should().callMethodWhere(setterOf(DirkClusterStatus.class))
        .because("StatusWriter owns every field of the status, a method per concern")
        .check(OPERATOR);
  }

  @Test
  void onlyTheStatusWriterSetsAFieldOfAMember() {
    noClasses().that().doNotBelongToAnyOf(StatusWriter.class, MemberStatus.class)
        .should().callMethodWhere(setterOf(MemberStatus.class))
        .because("StatusWriter owns every field of members[]: observation the pod's, heartbeats the prober's")
        .check(OPERATOR);
  }

  private static DescribedPredicate<JavaCall<?>> setterOf(Class<?> owner) {
    return DescribedPredicate.describe("a setter of " + owner.getSimpleName(),
        call -> call.getTargetOwner().isEquivalentTo(owner) && call.getName().startsWith("set"));
  }
}
