// The writers moved to src/sql/, shared by every stage; kept here so imports from patch/ still resolve.
export { ident, qualified } from '../sql/identifiers';
