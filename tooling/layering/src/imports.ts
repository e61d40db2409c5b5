// Lists the module specifiers a source file loads at run time, using the TypeScript parser so
// that comments, strings and type positions cannot be mistaken for imports.
import ts from 'typescript';

export interface RuntimeImport {
  specifier: string;
  /** 1-based line of the import. */
  line: number;
  kind: 'import' | 'export-from' | 'dynamic' | 'require' | 'import-equals';
  /** The specifier is not a string literal, so it cannot be checked. */
  computed: boolean;
}

/**
 * With verbatimModuleSyntax (our base tsconfig) `import { type A } from 'x'` is emitted as
 * `import {} from 'x'`, which still loads x. Only `import type` / `export type` erase fully.
 */
function importIsTypeOnly(node: ts.ImportDeclaration): boolean {
  return node.importClause?.isTypeOnly === true;
}

function exportIsTypeOnly(node: ts.ExportDeclaration): boolean {
  return node.isTypeOnly;
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  if (fileName.endsWith('.tsx')) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

export function runtimeImports(fileName: string, text: string): RuntimeImport[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName));
  const out: RuntimeImport[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const push = (node: ts.Node, spec: ts.Expression | undefined, kind: RuntimeImport['kind']) => {
    if (spec && ts.isStringLiteralLike(spec)) {
      out.push({ specifier: spec.text, line: lineOf(node), kind, computed: false });
    } else {
      out.push({ specifier: spec ? spec.getText(sf) : '', line: lineOf(node), kind, computed: true });
    }
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      if (!importIsTypeOnly(node)) push(node, node.moduleSpecifier, 'import');
      return;
    }
    if (ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier && !exportIsTypeOnly(node)) push(node, node.moduleSpecifier, 'export-from');
      return;
    }
    if (ts.isImportEqualsDeclaration(node)) {
      if (!node.isTypeOnly && ts.isExternalModuleReference(node.moduleReference)) {
        push(node, node.moduleReference.expression, 'import-equals');
      }
      return;
    }
    // `typeof import('x')` is an ImportTypeNode, a type: never visited as a call.
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        push(node, node.arguments[0], 'dynamic');
      } else if (ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
        push(node, node.arguments[0], 'require');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
