/**
 * The DirkDB dialect: {@link io.dirkdb.sql.Lexer}, {@link io.dirkdb.sql.Parser} and the syntax
 * tree ({@link io.dirkdb.sql.SqlStatement}, {@link io.dirkdb.sql.Query},
 * {@link io.dirkdb.sql.Expression}, {@link io.dirkdb.sql.TypeSpec},
 * {@link io.dirkdb.sql.ControlStatement}).
 *
 * <p>Decisions where the original was silent or broken:
 * <ul>
 *   <li>Keywords are case-insensitive and matched as whole words; the words in
 *       {@link io.dirkdb.sql.Lexer#RESERVED} cannot be identifiers, so a clause keyword after a
 *       table name is never taken as an alias. Identifiers (databases, tables, columns, domains,
 *       views) are case-sensitive, as the original's file names were.</li>
 *   <li>Precedence, loosest first: {@code na} (OR), {@code ary} (AND), {@code !} (NOT),
 *       comparisons and {@code dia [tsy] null}, {@code + -}, {@code * /}, unary minus.</li>
 *   <li>{@code +} or {@code -} directly followed by {@code alaivo} (or by a parenthesized
 *       {@code alaivo}) is a set operation; otherwise it is arithmetic. Set operations are
 *       left-associative with equal precedence; parentheses group them.</li>
 *   <li>{@code #vondrona (a, b)}, {@code #vondrona a, b} and {@code #vondrona a} are accepted.</li>
 *   <li>Left, right and full joins need {@code #ka}; a natural join refuses it; an inner join
 *       without it is a cross product.</li>
 *   <li>Besides {@code count}, {@code sum} and {@code avg}, {@code min} and {@code max} exist.</li>
 *   <li>A statement starting with the word {@code dirk} is a {@link io.dirkdb.sql.ControlStatement}.</li>
 * </ul>
 */
package io.dirkdb.sql;
