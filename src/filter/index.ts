/**
 * Display filters: one parser, two back ends (DESIGN.md §5). Everything outside src/filter imports from here.
 */
export { FilterError, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, type Expr, type Value, type CmpOp } from './ast.js';
export { parseFilter } from './parse.js';
export { toPredicate } from './js.js';
export { toSql, sqlWhere, sqlFilterError } from './sql.js';
