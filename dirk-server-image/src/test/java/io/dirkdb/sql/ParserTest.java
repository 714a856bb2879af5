package io.dirkdb.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.sql.Expression.Binary;
import io.dirkdb.sql.Expression.Operator;
import io.dirkdb.sql.Query.JoinKind;
import io.dirkdb.sql.Query.Select;
import io.dirkdb.sql.Query.SetOperation;
import io.dirkdb.sql.Query.SetOperator;
import io.dirkdb.sql.Query.Source;
import io.dirkdb.sql.SqlStatement.ObjectKind;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ParserTest {

    private static Select select(String text) {
        return (Select) Parser.parse(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "alaivo * #ao@ etu", "alaivo * ao@ etu", "alaivo * #ao etu", "alaivo * ao etu",
            "ALAIVO * #AO@ etu", "Alaivo * Ao@ etu", "alaivo * #ao @ etu"})
    void everyFromSpellingReadsTheTable(String text) {
        Select select = select(text);
        assertThat(select.from()).isEqualTo(new Source.Table("etu", null));
        assertThat(select.kind()).isEqualTo(StatementKind.READ);
        assertThat(select.readTables()).containsExactly("etu");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alaivo * ao@ t rehefa id=1", "alaivo * #ao@ t #rehefa id = 1", "alaivo * ao t REHEFA id=1"})
    void whereWorksWithAndWithoutHash(String text) {
        Select select = select(text);
        assertThat(select.from()).isEqualTo(new Source.Table("t", null));
        assertThat(select.where()).isEqualTo(new Binary(Operator.EQUAL,
                new Expression.ColumnRef(null, "id"), new Expression.Literal(1L)));
    }

    @Test
    void streamRequestNamesTheProtocolItReadsFromVersionOne() {
        assertThat(((ControlStatement.Stream) Parser.parse("dirk stream 3 1 2 member 'm2' protocol 2")).protocol()).isEqualTo(2);
        assertThat(((ControlStatement.Stream) Parser.parse("dirk stream 3 1")).protocol()).isEqualTo(1);
        assertThatThrownBy(() -> Parser.parse("dirk stream 3 1 protocol 0"))
                .hasMessage("dirk stream: protocol versions start at 1, got 0");
    }

    @Test
    void keywordsMatchWholeWordsOnly() {
        assertThatThrownBy(() -> Parser.parse("alaivoxyz * ao@ t"))
                .isInstanceOf(DirkException.class).hasMessageContaining("alaivoxyz");
        Select select = select("alaivo alaivoxyz, rehefana ao@ aotable");
        assertThat(select.items()).extracting(i -> ((Query.SelectItem.Item) i).expression())
                .containsExactly(new Expression.ColumnRef(null, "alaivoxyz"), new Expression.ColumnRef(null, "rehefana"));
        assertThat(select.from()).isEqualTo(new Source.Table("aotable", null));
    }

    @Test
    void andBindsTighterThanOr() {
        Select select = select("alaivo * ao@ t rehefa a = 1 na b = 2 ary c = 3");
        Binary or = (Binary) select.where();
        assertThat(or.operator()).isEqualTo(Operator.OR);
        assertThat(((Binary) or.right()).operator()).isEqualTo(Operator.AND);
    }

    @Test
    void notAndNullTests() {
        Select select = select("alaivo * ao@ t rehefa ! a dia null ary b dia tsy null");
        Binary and = (Binary) select.where();
        assertThat(and.left()).isEqualTo(new Expression.Not(new Expression.IsNull(new Expression.ColumnRef(null, "a"), false)));
        assertThat(and.right()).isEqualTo(new Expression.IsNull(new Expression.ColumnRef(null, "b"), true));
    }

    @Test
    void commentsRunToTheEndOfTheLine() {
        Select select = select("alaivo * -- every column\n ao@ t -- the table\n rehefa id = 1 -- one row");
        assertThat(select.from()).isEqualTo(new Source.Table("t", null));
        assertThat(select.where()).isNotNull();
    }

    @Test
    void numbersKeepTheirKind() {
        Select select = select("alaivo 2, 2.5, -3, 'x''y', \"a\\\"b\"");
        assertThat(select.items()).extracting(i -> ((Query.SelectItem.Item) i).expression())
                .containsExactly(new Expression.Literal(2L), new Expression.Literal(2.5),
                        new Expression.Literal(-3L), new Expression.Literal("x'y"), new Expression.Literal("a\"b"));
    }

    @Test
    void aliasesWithAntsoOrBare() {
        Select select = select("alaivo nom antso n, age a, id #antso i ao@ etu e");
        assertThat(select.items()).extracting(i -> ((Query.SelectItem.Item) i).alias()).containsExactly("n", "a", "i");
        assertThat(select.from()).isEqualTo(new Source.Table("etu", "e"));
        assertThat(select("alaivo * ao@ etu #antso x").from()).isEqualTo(new Source.Table("etu", "x"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "alaivo * ao@ a #tonona b                    | INNER   | false",
            "alaivo * ao@ a #tonona:@ b #ka a.x = b.x      | INNER   | true",
            "alaivo * ao@ a #tonona:anatiny@ b #ka a.x=b.x | INNER   | true",
            "alaivo * ao@ a tonona:avia@ b ka a.x=b.x      | LEFT    | true",
            "alaivo * ao@ a #tonona:ankavia@ b #ka a.x=b.x | LEFT    | true",
            "alaivo * ao@ a #tonona:avanana@ b #ka a.x=b.x | RIGHT   | true",
            "alaivo * ao@ a #tonona:ankavanana b #ka a.x=b.x | RIGHT | true",
            "alaivo * ao@ a #tonona:natoraly@ b          | NATURAL | false",
            "alaivo * ao@ a #tonona:feno@ b #ka a.x=b.x  | FULL    | true",
            "alaivo * ao@ a #tonona@ b #ka a.x=b.x       | INNER   | true"})
    void everyJoinKind(String text, JoinKind kind, boolean hasCondition) {
        Source.Join join = (Source.Join) select(text).from();
        assertThat(join.kind()).isEqualTo(kind);
        assertThat(join.condition() != null).isEqualTo(hasCondition);
        assertThat(join.right()).isEqualTo(new Source.Table("b", null));
    }

    @Test
    void groupByWithOrWithoutParentheses() {
        assertThat(select("alaivo a, count(*) ao@ t #vondrona (a, b)").groupBy()).hasSize(2);
        assertThat(select("alaivo a, count(*) ao@ t vondrona a").groupBy()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"#fetra 2 5|2|5", "fetra 3|3|", "limit 1 2|1|2", "#limit 4|4|"})
    void limits(String clause, Long start, Long end) {
        Select select = select("alaivo * ao@ t " + clause);
        assertThat(select.limitStart()).isEqualTo(start);
        assertThat(select.limitEnd()).isEqualTo(end);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "#ankambana|UNION", "ankambana|UNION", "+|UNION", "#analana|EXCEPT", "analana|EXCEPT", "-|EXCEPT",
            "#atifitra|INTERSECT", "atifitra|INTERSECT", "^|INTERSECT"})
    void setOperations(String operator, SetOperator expected) {
        Statement statement = Parser.parse("alaivo a ao@ t " + operator + " alaivo a ao@ u");
        assertThat(statement).isInstanceOf(SetOperation.class);
        assertThat(((SetOperation) statement).operator()).isEqualTo(expected);
        assertThat(statement.readTables()).containsExactlyInAnyOrder("t", "u");
    }

    @Test
    void arithmeticMinusIsNotExcept() {
        Select select = select("alaivo a - 1 ao@ t rehefa b = 2 - 1");
        assertThat(((Binary) select.where()).right()).isEqualTo(
                new Binary(Operator.SUBTRACT, new Expression.Literal(2L), new Expression.Literal(1L)));
    }

    @Test
    void subqueryNeedsAnAlias() {
        assertThatThrownBy(() -> Parser.parse("alaivo * ao@ (alaivo * ao@ t)"))
                .isInstanceOf(DirkException.class).hasMessageContaining("alias");
        Select select = select("alaivo x.a ao@ (alaivo a ao@ t) x");
        assertThat(select.from()).isInstanceOf(Source.Subquery.class);
        assertThat(select.readTables()).containsExactly("t");
    }

    @Test
    void insertForms() {
        SqlStatement.Insert insert = (SqlStatement.Insert) Parser.parse("manampia ao@ ENA (IdEtudiant,Nom) sanda (100,\"Toto\"),(200,\"Tata\")");
        assertThat(insert.columns()).containsExactly("IdEtudiant", "Nom");
        assertThat(insert.rows()).hasSize(2);
        assertThat(insert.kind()).isEqualTo(StatementKind.WRITE);
        assertThat(insert.writtenTables()).containsExactly("ENA");

        SqlStatement.Insert all = (SqlStatement.Insert) Parser.parse("manampia #ao@ t () sanda (1, 'a')");
        assertThat(all.columns()).isEmpty();

        SqlStatement.Insert fromQuery = (SqlStatement.Insert) Parser.parse("manampia ao@ t (a) alaivo b ao@ u");
        assertThat(fromQuery.source()).isNotNull();
        assertThat(fromQuery.readTables()).containsExactly("u");
    }

    @Test
    void updateAndDelete() {
        SqlStatement.Update update = (SqlStatement.Update) Parser.parse("havaozy t ova a = a + 1, b = 'x' #rehefa id = 3");
        assertThat(update.assignments()).hasSize(2);
        assertThat(update.where()).isNotNull();
        assertThat(update.kind()).isEqualTo(StatementKind.WRITE);

        SqlStatement.Delete delete = (SqlStatement.Delete) Parser.parse("fafao ao@ t rehefa id = 3");
        assertThat(delete.where()).isNotNull();
        assertThat(((SqlStatement.Delete) Parser.parse("fafao #ao@ t")).where()).isNull();
    }

    @Test
    void schemaStatements() {
        assertThat(Parser.parse("manamboara tahiry examen2")).isEqualTo(new SqlStatement.CreateDatabase("examen2"));
        SqlStatement.CreateTable table = (SqlStatement.CreateTable) Parser.parse(
                "manamboara tabilao ENA(IdEtudiant ISA(null,null), Nom LAHATSORATRA(1,20), d DATY, c cours_domain, u ISA(0,10):DATY)");
        assertThat(table.columns()).extracting(SqlStatement.ColumnDefinition::type).containsExactly(
                new TypeSpec.NumberType(null, null), new TypeSpec.TextType(1L, 20L), new TypeSpec.DateType(),
                new TypeSpec.DomainType("cours_domain"),
                new TypeSpec.UnionType(List.of(new TypeSpec.NumberType(0L, 10L), new TypeSpec.DateType())));
        assertThat(table.kind()).isEqualTo(StatementKind.SCHEMA);

        SqlStatement.CreateDomain domain = (SqlStatement.CreateDomain) Parser.parse(
                "manamboara efitra cours_domain(TANISA(\"Archi\",\"Algo\",\"Syst\"))");
        assertThat(domain.type()).isEqualTo(new TypeSpec.EnumType(List.of("Archi", "Algo", "Syst")));

        SqlStatement.CreateView view = (SqlStatement.CreateView) Parser.parse("manamboara jery grands @ alaivo * ao@ t rehefa a > 1");
        assertThat(view.queryText()).isEqualTo("alaivo * ao@ t rehefa a > 1");

        assertThat(Parser.parse("ravao ny tabilao t")).isEqualTo(new SqlStatement.Drop(ObjectKind.TABLE, "t"));
        assertThat(Parser.parse("ravao ny tahiry d")).isEqualTo(new SqlStatement.Drop(ObjectKind.DATABASE, "d"));
        assertThat(Parser.parse("ravao ny efitra e")).isEqualTo(new SqlStatement.Drop(ObjectKind.DOMAIN, "e"));
        assertThat(Parser.parse("ravao ny jery v")).isEqualTo(new SqlStatement.Drop(ObjectKind.VIEW, "v"));
        assertThat(Parser.parse("asehoy ny tabilao")).isEqualTo(new SqlStatement.Show(ObjectKind.TABLE));
        assertThat(Parser.parse("asehoy ny tahiry").kind()).isEqualTo(StatementKind.READ);
        assertThat(Parser.parse("ampiasao examen2")).isEqualTo(new SqlStatement.Use("examen2"));
        assertThat(Parser.parse("ampiasao examen2").kind()).isEqualTo(StatementKind.USE);
    }

    @Test
    void controlStatementsStartWithDirk() {
        assertThat(Parser.parse("dirk heartbeat")).isEqualTo(new ControlStatement.Heartbeat());
        assertThat(Parser.parse("dirk auth 'secret'")).isEqualTo(new ControlStatement.Auth("secret"));
        assertThat(Parser.parse("dirk promote 7")).isEqualTo(new ControlStatement.Promote(7));
        assertThat(Parser.parse("DIRK fence")).isEqualTo(new ControlStatement.Fence());
        assertThat(Parser.parse("dirk fence hold;")).isEqualTo(new ControlStatement.Fence(-1, true));
        assertThat(Parser.parse("dirk fence epoch 9 HOLD")).isEqualTo(new ControlStatement.Fence(9, true));
        assertThat(Parser.parse("dirk fence epoch 9")).isEqualTo(new ControlStatement.Fence(9, false));
        assertThatThrownBy(() -> Parser.parse("dirk fence hold epoch 9")).isInstanceOf(DirkException.class)
                .hasMessage("expected the end of the statement but found 'epoch' at position 17");
        assertThatThrownBy(() -> Parser.parse("dirk fence held")).isInstanceOf(DirkException.class)
                .hasMessage("expected the end of the statement but found 'held' at position 12");
        assertThat(Parser.parse("dirk follow 'db-0.members' 3948")).isEqualTo(new ControlStatement.Follow("db-0.members", 3948));
        assertThat(Parser.parse("dirk heartbeat").kind()).isEqualTo(StatementKind.CONTROL);
    }

    @Test
    void errorsNameWhatWasExpected() {
        assertThatThrownBy(() -> Parser.parse("alaivo * ao@")).isInstanceOf(DirkException.class)
                .hasMessageContaining("table name");
        assertThatThrownBy(() -> Parser.parse("alaivo * ao@ t 'x")).isInstanceOf(DirkException.class)
                .hasMessageContaining("not closed");
        assertThatThrownBy(() -> Parser.parse("bonjour")).isInstanceOf(DirkException.class)
                .hasMessageContaining("unknown statement");
        assertThatThrownBy(() -> Parser.parse("alaivo * ao@ rehefa")).isInstanceOf(DirkException.class)
                .hasMessageContaining("keyword 'rehefa'");
    }

    @Test
    void semicolonInsideQuotesIsText() {
        Select select = select("alaivo 'a;b'");
        assertThat(((Query.SelectItem.Item) select.items().get(0)).expression()).isEqualTo(new Expression.Literal("a;b"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "alaivo * ao@ a #tonona b #ka a.x = b.x               | READ   | a b |",
            "alaivo * ao@ (alaivo * ao@ a) x + alaivo * ao@ c     | READ   | a c |",
            "asehoy ny tabilao                                    | READ   |     |",
            "ampiasao d                                           | USE    |     |",
            "manampia ao@ t (a) alaivo b ao@ u                    | WRITE  | u   | t",
            "manampia ao@ t sanda (1)                             | WRITE  |     | t",
            "havaozy t ova a = 1                                  | WRITE  | t   | t",
            "fafao ao@ t                                          | WRITE  | t   | t",
            "manamboara tabilao t (a DATY)                        | SCHEMA |     | t",
            "manamboara jery v @ alaivo * ao@ t                   | SCHEMA | t   | v",
            "ravao ny tabilao t                                   | SCHEMA |     | t",
            "manamboara tahiry d                                  | SCHEMA |     | d"})
    void kindAndTablesTellTheProxyAndTheCacheWhatAStatementTouches(
            String text, StatementKind kind, String read, String written) {
        Statement statement = Parser.parse(text);
        assertThat(statement.kind()).isEqualTo(kind);
        assertThat(statement.readTables()).containsExactlyInAnyOrder(read == null ? new String[0] : read.split(" "));
        assertThat(statement.writtenTables()).containsExactlyInAnyOrder(written == null ? new String[0] : written.split(" "));
    }

    @Test
    void deeplyNestedExpressionIsRefusedWithAClearMessage() {
        String nested = "alaivo * ao t #rehefa " + "(".repeat(100_000) + "x = 1" + ")".repeat(100_000);
        assertThatThrownBy(() -> Parser.parse(nested))
                .isInstanceOf(DirkException.class).hasMessageContaining("nested deeper than 200 levels");
        assertThatThrownBy(() -> Parser.parse("alaivo " + "!".repeat(50_000) + "1"))
                .isInstanceOf(DirkException.class).hasMessageContaining("nested deeper than 200 levels");
        assertThatThrownBy(() -> Parser.parse("alaivo 1" + " - (alaivo 1)".repeat(1_000)))
                .isInstanceOf(DirkException.class).hasMessageContaining("nested deeper than 200 levels");
    }

    @Test
    void nestingBelowTheLimitIsAccepted() {
        Select select = select("alaivo * ao t #rehefa " + "(".repeat(150) + "x = 1" + ")".repeat(150));
        assertThat(select.where()).isEqualTo(new Binary(Operator.EQUAL, new Expression.ColumnRef(null, "x"),
                new Expression.Literal(1L)));
    }

    @Test
    void longArithmeticChainCountsAsNesting() {
        // Evaluation recurses once per operator of a left-deep chain, so a long chain is as deep as nesting.
        assertThatThrownBy(() -> Parser.parse("alaivo 1" + " + 1".repeat(100_000)))
                .isInstanceOf(DirkException.class).hasMessageContaining("nested deeper than 200 levels");
    }

    @Test
    void longChainOfAlternativesStaysShallow() {
        // The dialect has no IN: thousands of "na" alternatives are a real list, built as a balanced tree.
        StringBuilder text = new StringBuilder("alaivo * ao t #rehefa x = 0");
        for (int i = 1; i < 10_000; i++) {
            text.append(" na x = ").append(i);
        }
        assertThat(select(text.toString()).where()).isInstanceOf(Binary.class);
    }
}
