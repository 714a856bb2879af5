package io.dirkdb.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EngineLanguageTest {
    private Engine engine;
    private Session session;

    @BeforeEach
    void open() {
        engine = Engine.inMemory();
        session = new Session();
        run("manamboara tahiry d");
        run("ampiasao d");
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private Result run(String text) {
        return engine.execute(session, text);
    }

    private String message(String text) {
        return ((Result.Message) run(text)).text();
    }

    private Result.Relation query(String text) {
        return (Result.Relation) run(text);
    }

    private List<List<Object>> rows(String text) {
        return query(text).rows();
    }

    private void students() {
        run("manamboara tabilao etu (id ISA(0,null), nom LAHATSORATRA(1,20), age ISA(null,null))");
        run("manampia ao@ etu (id, nom, age) sanda (1,'Rabe',20), (2,'Rakoto',22), (3,'Rasoa',20), (4,'Be',null)");
    }

    @Test
    void userScriptRunsEndToEnd() {
        Session user = new Session();
        assertThat(((Result.Message) engine.execute(user, "manamboara tahiry examen2")).text())
                .isEqualTo("Ny tahiry : examen2 dia voaforona");
        assertThat(((Result.Message) engine.execute(user, "ampiasao examen2")).text())
                .isEqualTo("Ny tahiry : examen2 dia miasa ankehitriny");
        engine.execute(user, "manamboara efitra cours_domain(TANISA(\"Archi\",\"Algo\",\"Syst\"))");
        engine.execute(user, "manamboara tabilao ENA(IdEtudiant ISA(null,null), Nom LAHATSORATRA(null,null))");
        assertThat(((Result.Message) engine.execute(user,
                "manampia ao@ ENA (IdEtudiant,Nom) sanda (100,\"Toto\"),(200,\"Tata\")")).text())
                .isEqualTo("Tafinditra ny fiovana ny tabilao");
        Result.Relation result = (Result.Relation) engine.execute(user, "alaivo Nom #ao@ ENA #rehefa IdEtudiant >= 150");
        assertThat(result.name()).isEqualTo("ENA");
        assertThat(result.columns()).containsExactly(new Result.Column("Nom", "ENA"));
        assertThat(result.rows()).containsExactly(List.of("Tata"));
    }

    @Test
    void selectStarKeepsInsertionOrderAndIntegers() {
        students();
        assertThat(rows("alaivo * ao@ etu")).containsExactly(
                List.of(1L, "Rabe", 20L), List.of(2L, "Rakoto", 22L), List.of(3L, "Rasoa", 20L),
                java.util.Arrays.asList(4L, "Be", null));
    }

    @Test
    void reservedKeywordAfterTableNameIsAClauseNotAnAlias() {
        students();
        assertThat(rows("alaivo nom ao@ etu rehefa id=1")).containsExactly(List.of("Rabe"));
    }

    @Test
    void andBindsTighterThanOrWhenFiltering() {
        students();
        // id = 1 OR (id = 2 AND age = 99): only Rabe. With equal precedence it would be nobody.
        assertThat(rows("alaivo nom ao@ etu rehefa id = 1 na id = 2 ary age = 99")).containsExactly(List.of("Rabe"));
    }

    @Test
    void stringsCompareWithLessAndGreater() {
        students();
        assertThat(rows("alaivo nom ao@ etu rehefa nom > 'Rak'")).containsExactly(List.of("Rakoto"), List.of("Rasoa"));
        assertThat(rows("alaivo nom ao@ etu rehefa nom <= 'Be'")).containsExactly(List.of("Be"));
    }

    @Test
    void countAnswersAnIntegerAndArithmeticStaysInteger() {
        students();
        assertThat(rows("alaivo count(*) ao@ etu rehefa age = 20")).containsExactly(List.of(2L));
        assertThat(rows("alaivo 7 + 3, 7 * 3, 6 / 3, 7 / 2, 7.0 / 7, sum(age), avg(age) ao@ etu"))
                .containsExactly(List.of(10L, 21L, 2L, 3.5, 1.0, 62L, 62.0 / 3));
        assertThat(rows("alaivo count(age), min(nom), max(age) ao@ etu")).containsExactly(List.of(3L, "Be", 22L));
        assertThat(rows("alaivo 'a' + 'b', 2 = 2.0, 'x' = 1, 5 - -2")).containsExactly(List.of("ab", 1L, 0L, 7L));
        assertThatThrownBy(() -> run("alaivo 9223372036854775807 + 1")).hasMessageContaining("integer overflow");
        assertThatThrownBy(() -> run("alaivo 'x' < 1")).hasMessage("cannot compare text 'x' with number 1");
    }

    @Test
    void groupByOutputIsSortedByGroupKey() {
        students();
        run("manampia ao@ etu sanda (5,'Zo',18), (6,'Ny',22)");
        Result.Relation result = query("alaivo age, count(*) n ao@ etu #vondrona age");
        assertThat(result.columns()).extracting(Result.Column::name).containsExactly("age", "n");
        assertThat(result.rows()).containsExactly(
                java.util.Arrays.asList(null, 1L), List.of(18L, 1L), List.of(20L, 2L), List.of(22L, 2L));
        assertThat(rows("alaivo age, nom, count(*) ao@ etu #vondrona (age, nom) #fetra 1 3"))
                .containsExactly(List.of(18L, "Zo", 1L), List.of(20L, "Rabe", 1L));
    }

    @Test
    void nullTestsAndNot() {
        students();
        assertThat(rows("alaivo id ao@ etu rehefa age dia null")).containsExactly(List.of(4L));
        assertThat(rows("alaivo id ao@ etu rehefa age dia tsy null ary ! age = 20")).containsExactly(List.of(2L));
    }

    @Test
    void limitIsARangeOrAnOffset() {
        students();
        assertThat(rows("alaivo id ao@ etu #fetra 1 3")).containsExactly(List.of(2L), List.of(3L));
        assertThat(rows("alaivo id ao@ etu limit 2")).containsExactly(List.of(3L), List.of(4L));
        assertThat(rows("alaivo id ao@ etu #fetra 9")).isEmpty();
    }

    @Test
    void setOperationsRemoveDuplicates() {
        students();
        assertThat(rows("alaivo age ao@ etu rehefa age dia tsy null + alaivo age ao@ etu rehefa id = 1"))
                .containsExactly(List.of(20L), List.of(22L));
        assertThat(rows("alaivo id ao@ etu #analana alaivo id ao@ etu rehefa age = 20"))
                .containsExactly(List.of(2L), List.of(4L));
        assertThat(rows("alaivo id ao@ etu ^ alaivo id ao@ etu rehefa age = 20"))
                .containsExactly(List.of(1L), List.of(3L));
        assertThat(rows("alaivo id ao@ etu - alaivo id ao@ etu")).isEmpty();
        assertThat(query("alaivo id ao@ etu #ankambana alaivo id ao@ etu").name()).isEqualTo("etu");
    }

    private void courses() {
        students();
        run("manamboara tabilao insc (id ISA(null,null), codeC LAHATSORATRA(null,null))");
        run("manamboara tabilao cours (codeC LAHATSORATRA(null,null), titre LAHATSORATRA(null,null))");
        run("manampia ao@ insc sanda (1,'A'), (1,'B'), (2,'A'), (9,'C')");
        run("manampia ao@ cours sanda ('A','Algo'), ('B','Archi'), ('D','Syst')");
    }

    @Test
    void innerJoinWithAndWithoutCondition() {
        courses();
        Result.Relation joined = query("alaivo etu.nom, cours.titre ao@ etu #tonona:@ insc #ka etu.id = insc.id "
                + "#tonona@ cours #ka cours.codeC = insc.codeC");
        assertThat(joined.name()).isEqualTo("etu");
        assertThat(joined.columns()).containsExactly(new Result.Column("nom", "etu"), new Result.Column("titre", "cours"));
        assertThat(joined.rows()).containsExactly(List.of("Rabe", "Algo"), List.of("Rabe", "Archi"), List.of("Rakoto", "Algo"));
        assertThat(rows("alaivo count(*) ao@ etu #tonona cours")).containsExactly(List.of(12L));
        assertThat(rows("alaivo count(*) ao@ etu #tonona:anatiny@ insc #ka etu.id = insc.id")).containsExactly(List.of(3L));
    }

    @Test
    void outerAndNaturalJoins() {
        courses();
        assertThat(rows("alaivo insc.codeC, titre ao@ insc #tonona:avia@ cours #ka insc.codeC = cours.codeC"))
                .containsExactly(List.of("A", "Algo"), List.of("B", "Archi"), List.of("A", "Algo"),
                        java.util.Arrays.asList("C", null));
        assertThat(rows("alaivo insc.codeC, titre ao@ insc #tonona:ankavanana@ cours #ka insc.codeC = cours.codeC"))
                .containsExactly(List.of("A", "Algo"), List.of("B", "Archi"), List.of("A", "Algo"),
                        java.util.Arrays.asList(null, "Syst"));
        assertThat(rows("alaivo count(*) ao@ insc #tonona:feno@ cours #ka insc.codeC = cours.codeC"))
                .containsExactly(List.of(5L));
        Result.Relation natural = query("alaivo * ao@ insc #tonona:natoraly@ cours");
        assertThat(natural.columns()).extracting(Result.Column::name).containsExactly("id", "codeC", "titre");
        assertThat(natural.rows()).containsExactly(List.of(1L, "A", "Algo"), List.of(1L, "B", "Archi"), List.of(2L, "A", "Algo"));
    }

    @Test
    void subqueryInFromUsesItsAlias() {
        students();
        Result.Relation result = query("alaivo x.nom ao@ (alaivo nom, age ao@ etu rehefa age = 20) x rehefa x.nom != 'Rabe'");
        assertThat(result.name()).isEqualTo("x");
        assertThat(result.columns()).containsExactly(new Result.Column("nom", "x"));
        assertThat(result.rows()).containsExactly(List.of("Rasoa"));
    }

    @Test
    void insertFromAQueryAndIntoEveryColumn() {
        students();
        run("manamboara tabilao noms (n LAHATSORATRA(null,null))");
        run("manampia ao@ noms (n) alaivo nom ao@ etu rehefa age = 20");
        run("manampia ao@ noms () sanda ('Zo')");
        assertThat(rows("alaivo * ao@ noms")).containsExactly(List.of("Rabe"), List.of("Rasoa"), List.of("Zo"));
    }

    @Test
    void updateAndDeleteChangeOnlyMatchingRows() {
        students();
        assertThat(message("havaozy etu ova age = age + 1, nom = 'X' #rehefa age = 20")).isEqualTo("Tafinditra ny fiovana ny tabilao");
        assertThat(rows("alaivo id, nom, age ao@ etu rehefa nom = 'X'")).containsExactly(List.of(1L, "X", 21L), List.of(3L, "X", 21L));
        run("fafao ao@ etu rehefa age = 21");
        assertThat(rows("alaivo id ao@ etu")).containsExactly(List.of(2L), List.of(4L));
        run("fafao #ao@ etu");
        assertThat(rows("alaivo * ao@ etu")).isEmpty();
    }

    @Test
    void insertWithOneBadRowWritesNothing() {
        students();
        assertThatThrownBy(() -> run("manampia ao@ etu sanda (10,'A',1), (11,'',2), (12,'C',3)"))
                .isInstanceOf(DirkException.class)
                .hasMessage("value '' is not allowed by LAHATSORATRA(1,20) for column nom");
        assertThat(rows("alaivo count(*) ao@ etu")).containsExactly(List.of(4L));
    }

    @Test
    void updateWithOneBadRowWritesNothing() {
        students();
        assertThatThrownBy(() -> run("havaozy etu ova id = id - 2")).isInstanceOf(DirkException.class)
                .hasMessageContaining("ISA(0,null) for column id");
        assertThat(rows("alaivo id ao@ etu")).containsExactly(List.of(1L), List.of(2L), List.of(3L), List.of(4L));
    }

    @Test
    void typesAreChecked() {
        run("manamboara efitra cours_domain(TANISA('Archi','Algo','Syst'))");
        run("manamboara tabilao t (n ISA(1, 10.5), s LAHATSORATRA(2, 3), d DATY, c cours_domain, u ISA(0,0):DATY)");
        run("manampia ao@ t sanda (10.5, 'ab', '2026-11-27', 'Algo', 0), (1, 'abc', null, null, '2026-01-01')");
        assertThat(rows("alaivo * ao@ t")).containsExactly(
                List.of(10.5, "ab", LocalDate.of(2026, 11, 27), "Algo", 0L),
                java.util.Arrays.asList(1L, "abc", null, null, LocalDate.of(2026, 1, 1)));
        assertThatThrownBy(() -> run("manampia ao@ t (c) sanda ('Foo')")).isInstanceOf(DirkException.class)
                .hasMessage("value 'Foo' is not allowed by TANISA('Archi','Algo','Syst') for column c");
        assertThatThrownBy(() -> run("manampia ao@ t (n) sanda (11)")).hasMessage("value 11 is not allowed by ISA(1,10.5) for column n");
        assertThatThrownBy(() -> run("manampia ao@ t (n) sanda ('5')")).hasMessageContaining("for column n");
        assertThatThrownBy(() -> run("manampia ao@ t (s) sanda ('abcd')")).hasMessageContaining("LAHATSORATRA(2,3)");
        assertThatThrownBy(() -> run("manampia ao@ t (d) sanda ('27/11/2026')")).hasMessage("value '27/11/2026' is not allowed by DATY for column d");
        assertThatThrownBy(() -> run("manampia ao@ t (u) sanda (3)")).hasMessage("value 3 is not allowed by ISA(0,0):DATY for column u");
        assertThatThrownBy(() -> run("manamboara tabilao z (a nodomain)")).hasMessage("domain 'nodomain' does not exist in database 'd'");
    }

    @Test
    void datesCompareAsDates() {
        run("manamboara tabilao ev (nom LAHATSORATRA(null,null), d DATY)");
        run("manampia ao@ ev sanda ('a', '2026-11-27'), ('b', '2025-12-31'), ('c', '2026-02-03')");
        assertThat(rows("alaivo nom ao@ ev rehefa d > '2026-01-01'")).containsExactly(List.of("a"), List.of("c"));
        assertThat(rows("alaivo nom ao@ ev rehefa d = '2025-12-31'")).containsExactly(List.of("b"));
    }

    @Test
    void viewWithWhereCanBeQueried() {
        students();
        assertThat(message("manamboara jery vingt @ alaivo id, nom ao@ etu #rehefa age = 20")).isEqualTo("Ny jery : vingt dia voaforona");
        Result.Relation result = query("alaivo nom ao@ vingt rehefa id > 1");
        assertThat(result.name()).isEqualTo("vingt");
        assertThat(result.rows()).containsExactly(List.of("Rasoa"));
        run("manampia ao@ etu sanda (7,'Vao',20)");
        assertThat(rows("alaivo * ao@ vingt")).hasSize(3);
    }

    @Test
    void writingIntoAViewIsRefused() {
        students();
        run("manamboara jery v @ alaivo * ao@ etu");
        assertThatThrownBy(() -> run("manampia ao@ v sanda (9,'X',1)")).isInstanceOf(DirkException.class)
                .hasMessage("'v' is a view; rows can only be written into a table");
        assertThatThrownBy(() -> run("havaozy v ova age = 1")).hasMessageContaining("is a view");
        assertThatThrownBy(() -> run("fafao ao@ v")).hasMessageContaining("is a view");
        assertThat(rows("asehoy ny tabilao")).containsExactly(List.of("etu"));
    }

    @Test
    void droppingTheCurrentDatabaseLeavesNoCurrentDatabase() {
        students();
        assertThat(message("ravao ny tahiry d")).isEqualTo("Ny tahiry : d dia voafafa");
        assertThat(session.currentDatabase()).isNull();
        assertThatThrownBy(() -> run("alaivo * ao@ etu")).hasMessageContaining("no database is in use");
        run("manamboara tahiry d");
        assertThatThrownBy(() -> run("manamboara tabilao t (a DATY)")).hasMessageContaining("no database is in use");
    }

    @Test
    void showListsEachKindInOneColumn() {
        students();
        run("manamboara efitra e (DATY)");
        run("manamboara jery v @ alaivo * ao@ etu");
        run("manamboara tahiry autre");
        Result.Relation databases = query("asehoy ny tahiry");
        assertThat(databases.columns()).containsExactly(new Result.Column("fanasehoana", ""));
        assertThat(databases.rows()).containsExactly(List.of("d"), List.of("autre"));
        assertThat(rows("asehoy ny tabilao")).containsExactly(List.of("etu"));
        assertThat(rows("asehoy ny efitra")).containsExactly(List.of("e"));
        assertThat(rows("asehoy ny jery")).containsExactly(List.of("v"));
    }

    @Test
    void dropsRemoveEachKindOfObject() {
        students();
        run("manamboara efitra e (DATY)");
        run("manamboara jery v @ alaivo * ao@ etu");
        assertThatThrownBy(() -> run("ravao ny tabilao v")).hasMessageContaining("ravao ny jery v");
        assertThat(message("ravao ny jery v")).isEqualTo("Ny jery : v dia voafafa");
        assertThat(message("ravao ny efitra e")).isEqualTo("Ny efitra : e dia voafafa");
        assertThat(message("ravao ny tabilao etu")).isEqualTo("Ny tabilao : etu dia voafafa");
        assertThat(rows("asehoy ny tabilao")).isEmpty();
        assertThatThrownBy(() -> run("alaivo * ao@ etu")).hasMessage("table 'etu' does not exist in database 'd'");
    }

    @Test
    void errorsNameTheObject() {
        assertThatThrownBy(() -> run("ampiasao nowhere")).hasMessage("database 'nowhere' does not exist");
        assertThatThrownBy(() -> run("manamboara tahiry d")).hasMessage("database 'd' already exists");
        students();
        assertThatThrownBy(() -> run("alaivo zz ao@ etu")).hasMessage("column 'zz' does not exist in etu");
        assertThatThrownBy(() -> run("manampia ao@ etu (zz) sanda (1)")).hasMessage("column 'zz' does not exist in table 'etu'");
        assertThatThrownBy(() -> run("manamboara tabilao etu (a DATY)")).hasMessage("a table named 'etu' already exists in database 'd'");
        assertThatThrownBy(() -> run("alaivo 1 / 0")).hasMessage("division by zero");
        assertThatThrownBy(() -> run("manampia ao@ etu (nom) sanda (Toto)")).hasMessageContaining("in quotes, e.g. 'Toto'");
    }

    @Test
    void controlStatementsAreNotForTheEngine() {
        assertThatThrownBy(() -> run("dirk heartbeat")).isInstanceOf(DirkException.class).hasMessageContaining("server");
    }

    @Test
    void refusedWritesFailWithTheReasonAndReadsGoOn() {
        students();
        engine.refuseWrites("this member is a secondary; write to the primary");
        assertThatThrownBy(() -> run("manampia ao@ etu sanda (9,'X',1)")).hasMessage("this member is a secondary; write to the primary");
        assertThatThrownBy(() -> run("manamboara tahiry x")).hasMessageContaining("secondary");
        assertThat(rows("alaivo count(*) ao@ etu")).containsExactly(List.of(4L));
        engine.allowWrites(5);
        run("manampia ao@ etu sanda (9,'X',1)");
        assertThat(engine.epoch()).isEqualTo(5);
    }

    @Test
    void lastLsnCountsAppliedChanges() {
        long before = engine.lastLsn();
        students();
        assertThat(engine.lastLsn()).isEqualTo(before + 2);
        run("fafao ao@ etu rehefa id = 99");
        assertThat(engine.lastLsn()).isEqualTo(before + 2);
    }

    @Test
    void equalityLookupsOnABigTableUseTheIndexAndSeeChanges() {
        run("manamboara tabilao big (k ISA(null,null), v LAHATSORATRA(null,null))");
        StringBuilder insert = new StringBuilder("manampia ao@ big sanda ");
        for (int i = 0; i < 5000; i++) {
            insert.append(i == 0 ? "" : ",").append("(").append(i).append(",'v").append(i % 7).append("')");
        }
        run(insert.toString());
        assertThat(rows("alaivo v ao@ big rehefa k = 4321")).containsExactly(List.of("v2"));
        assertThat(rows("alaivo count(*) ao@ big rehefa v = 'v3' ary k < 100")).containsExactly(List.of(14L));
        run("havaozy big ova k = 999999 rehefa k = 4321");
        assertThat(rows("alaivo v ao@ big rehefa k = 4321")).isEmpty();
        assertThat(rows("alaivo v ao@ big rehefa k = 999999.0")).containsExactly(List.of("v2"));
        run("fafao ao@ big rehefa k = 999999");
        assertThat(rows("alaivo v ao@ big rehefa k = 999999")).isEmpty();
        run("manampia ao@ big sanda (4321, 'back')");
        assertThat(rows("alaivo v ao@ big rehefa 4321 = k")).containsExactly(List.of("back"));
    }

    @Test
    void commentsAndMixedCaseKeywordsRunThroughTheEngine() {
        run("MANAMBOARA TABILAO notes (alaivoxyz ISA(null,null), -- a column whose name starts with a keyword\n"
                + " nom LAHATSORATRA(null,null))");
        run("Manampia #AO@ notes sanda (1, 'a') -- the first row");
        assertThat(rows("ALAIVO alaivoxyz -- comment\n #AO@ notes #REHEFA nom = 'a'")).containsExactly(List.of(1L));
    }

    @Test
    void dateColumnsMeetDateTextInIndexedLookupsAndJoins() {
        run("manamboara tabilao ev (n ISA(null,null), d DATY)");
        StringBuilder insert = new StringBuilder("manampia ao@ ev sanda ");
        LocalDate start = LocalDate.of(2020, 1, 1);
        for (int i = 0; i < 2000; i++) {
            insert.append(i == 0 ? "" : ",").append("(").append(i).append(",'").append(start.plusDays(i)).append("')");
        }
        run(insert.toString());
        assertThat(rows("alaivo n ao@ ev rehefa d = '2020-01-11'")).containsExactly(List.of(10L));
        run("manamboara tabilao labels (day LAHATSORATRA(null,null), label LAHATSORATRA(null,null))");
        run("manampia ao@ labels sanda ('2020-01-03', 'two'), ('2020-01-04', 'three')");
        assertThat(rows("alaivo n, label ao@ ev #tonona labels #ka ev.d = labels.day"))
                .containsExactly(List.of(2L, "two"), List.of(3L, "three"));
    }
}
