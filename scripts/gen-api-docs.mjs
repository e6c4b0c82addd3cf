#!/usr/bin/env node
// Writes docs/api.md, the API reference, from the doc comments of what src/index.ts exports (through the TypeScript
// compiler API: the typescript devDependency, no documentation generator), plus the configuration properties from
// their table (src/config/properties.ts, built into dist/). Fails, naming each one, on an export, a public member of
// an exported class or interface, or a configuration property without documentation, and on a broken link in
// README.md, CHANGELOG.md or docs/api.md (a missing file or a missing heading anchor) or a {@link} to a name that is
// not exported.
//
//   npm run docs                 (builds, then writes docs/api.md)
//   npm run docs -- --check      (CI: also fails when the committed docs/api.md is not what the source generates)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const entry = join(root, 'src', 'index.ts');
const outFile = join(root, 'docs', 'api.md');
const problems = [];

const program = ts.createProgram([entry], {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, skipLibCheck: true, types: ['node'], noEmit: true,
});
const checker = program.getTypeChecker();
const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry));
const exports = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
const exportedNames = new Set(exports.map((s) => s.name));

function resolveAlias(s) {
  return s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
}

/** The doc comment as markdown: {@link X} becomes a link to X's section, other tags follow as a list. */
function docOf(symbol, where) {
  const text = renderParts(symbol.getDocumentationComment(checker), where);
  const tags = symbol.getJsDocTags(checker)
    .filter((t) => t.name !== 'internal')
    .map((t) => `- **@${t.name}** ${renderParts(t.text ?? [], where)}`.trimEnd());
  return [text, ...tags].filter((s) => s.trim() !== '').join('\n\n');
}

function renderParts(parts, where) {
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.kind === 'link') {
      // link, linkName, linkText..., link: rendered as [name](#anchor).
      let name = '';
      let label = '';
      for (i++; i < parts.length && parts[i].text !== '}'; i++) {
        if (parts[i].kind === 'linkName') name = parts[i].text;
        else if (parts[i].kind === 'linkText') label += parts[i].text;
      }
      const target = name.split('.')[0];
      if (!exportedNames.has(target)) problems.push(`${where}: {@link ${name}} names something src/index.ts does not export`);
      out += `[\`${(label.trim() || name)}\`](#${anchor(target)})`;
    } else {
      out += p.text;
    }
  }
  return out.trim();
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function kindOf(symbol) {
  const d = symbol.declarations?.[0];
  if (d === undefined) return 'other';
  if (ts.isClassDeclaration(d)) return isError(symbol) ? 'error' : 'class';
  if (ts.isFunctionDeclaration(d)) return 'function';
  if (ts.isInterfaceDeclaration(d)) return 'interface';
  if (ts.isTypeAliasDeclaration(d)) return 'type';
  if (ts.isEnumDeclaration(d)) return 'enum';
  if (ts.isVariableDeclaration(d)) return 'constant';
  return 'other';
}

function isError(symbol) {
  let t = checker.getDeclaredTypeOfSymbol(symbol);
  while (t !== undefined) {
    if (t.symbol?.name === 'Error') return true;
    const bases = t.isClassOrInterface() ? checker.getBaseTypes(t) : [];
    t = bases[0];
  }
  return false;
}

const printer = ts.createPrinter({ removeComments: true });

/** A declaration's signature as TypeScript: the declaration without bodies and comments. */
function signature(decl) {
  const sf = decl.getSourceFile();
  if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl) || ts.isConstructorDeclaration(decl)) {
    const bodyless = ts.isFunctionDeclaration(decl)
      ? ts.factory.updateFunctionDeclaration(decl, decl.modifiers, decl.asteriskToken, decl.name, decl.typeParameters, decl.parameters, decl.type, undefined)
      : ts.isMethodDeclaration(decl)
        ? ts.factory.updateMethodDeclaration(decl, decl.modifiers, decl.asteriskToken, decl.name, decl.questionToken, decl.typeParameters, decl.parameters, decl.type, undefined)
        : ts.factory.updateConstructorDeclaration(decl, decl.modifiers, decl.parameters, undefined);
    return printer.printNode(ts.EmitHint.Unspecified, bodyless, sf).replace(/;?\s*$/, ';');
  }
  if (ts.isVariableDeclaration(decl)) {
    return `const ${decl.name.getText(sf)}: ${checker.typeToString(checker.getTypeAtLocation(decl), decl, ts.TypeFormatFlags.NoTruncation)};`;
  }
  if (ts.isTypeAliasDeclaration(decl)) return printer.printNode(ts.EmitHint.Unspecified, decl, sf);
  if (ts.isGetAccessorDeclaration(decl)) return `get ${decl.name.getText(sf)}(): ${decl.type ? decl.type.getText(sf) : checker.typeToString(checker.getTypeAtLocation(decl))};`;
  if (ts.isPropertyDeclaration(decl) || ts.isPropertySignature(decl)) {
    const type = decl.type ? decl.type.getText(sf) : checker.typeToString(checker.getTypeAtLocation(decl));
    const ro = decl.modifiers?.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : '';
    return `${ro}${decl.name.getText(sf)}${decl.questionToken ? '?' : ''}: ${type.replace(/\s+/g, ' ')};`;
  }
  if (ts.isMethodSignature(decl)) return `${decl.getText(sf).replace(/\s+/g, ' ').replace(/;?$/, ';')}`;
  return decl.getText(sf).split('\n')[0];
}

function isPublicMember(decl) {
  const mods = ts.getCombinedModifierFlags(decl);
  if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  if (decl.name !== undefined && ts.isPrivateIdentifier(decl.name)) return false;
  const name = decl.name?.getText();
  return name === undefined || !name.startsWith('_');
}

/**
 * Whose members must each carry a doc comment: classes (errors included) and option interfaces (`...Options`,
 * `...Policy`, `...Events`, `...Logger`); a plain result shape (BrokerNode, GroupOffset...) is documented as a whole
 * and lists its fields with their types.
 */
function membersRequired(kind, name) {
  return kind !== 'interface' || /(Options|Policy|Events|Logger|Listener|Resolver|Context)$/.test(name);
}

/** The doc comment of `name` on a base class: a subclass that narrows a documented member need not repeat it. */
function inheritedDoc(symbol, name, where) {
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  for (const base of type.isClassOrInterface() ? checker.getBaseTypes(type) : []) {
    const prop = base.getProperty(name);
    const doc = prop === undefined ? '' : docOf(prop, where);
    if (doc !== '') return doc;
    if (base.symbol !== undefined) {
      const deeper = inheritedDoc(base.symbol, name, where);
      if (deeper !== '') return deeper;
    }
  }
  return '';
}

/** The members of a class or interface, own declarations only (inherited ones are documented on the base). */
function members(symbol, exportName, required) {
  const out = [];
  const decl = symbol.declarations[0];
  for (const m of decl.members ?? []) {
    if (!isPublicMember(m)) continue;
    if (ts.isIndexSignatureDeclaration(m) || ts.isSemicolonClassElement(m)) continue;
    if (ts.isSetAccessorDeclaration(m)) continue;
    // Symbol-keyed members ([inspect.custom]) are Node's hooks, not API.
    if (m.name !== undefined && ts.isComputedPropertyName(m.name)) continue;
    const isCtor = ts.isConstructorDeclaration(m);
    const name = isCtor ? 'constructor' : m.name.getText();
    const memberSymbol = isCtor ? undefined : checker.getSymbolAtLocation(m.name);
    // Overloads: document the first declaration that carries a comment.
    if (out.some((o) => o.name === name)) continue;
    const where = `${exportName}.${name}`;
    let doc = '';
    if (isCtor) doc = renderParts(checker.getSignatureFromDeclaration(m)?.getDocumentationComment(checker) ?? [], where);
    else if (memberSymbol !== undefined) doc = docOf(memberSymbol, where) || inheritedDoc(symbol, name, where);
    // A constructor needs no comment of its own when the class's comment covers it.
    if (doc === '' && !isCtor && required) problems.push(`${relative(root, m.getSourceFile().fileName)}: ${where} has no doc comment`);
    out.push({ name, signature: signature(m), doc });
  }
  return out;
}

// ---- generate ----
const sections = { class: [], error: [], function: [], constant: [], interface: [], type: [], enum: [], other: [] };
for (const exported of exports) {
  const symbol = resolveAlias(exported);
  const decl = symbol.declarations?.[0];
  if (decl === undefined) continue;
  const where = `${relative(root, decl.getSourceFile().fileName)}: ${exported.name}`;
  const kind = kindOf(symbol);
  const doc = docOf(symbol, exported.name);
  if (doc === '') problems.push(`${where} (${kind}) has no doc comment`);
  const entryMd = [`### ${exported.name}`, ''];
  if (kind === 'class' || kind === 'error') {
    const base = ts.getEffectiveBaseTypeNode?.(decl) ?? decl.heritageClauses?.[0]?.types[0];
    entryMd.push('```ts', `class ${exported.name}${decl.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(', ')}>` : ''}${base ? ` extends ${base.getText()}` : ''}`, '```', '');
  } else if (kind === 'interface') {
    entryMd.push('```ts', `interface ${exported.name}${decl.typeParameters ? `<${decl.typeParameters.map((p) => p.getText()).join(', ')}>` : ''}`, '```', '');
  } else {
    entryMd.push('```ts', ...symbol.declarations.filter((d) => !ts.isFunctionDeclaration(d) || d.body !== undefined || symbol.declarations.length === 1).map(signature), '```', '');
  }
  if (doc !== '') entryMd.push(doc, '');
  if (kind === 'class' || kind === 'error' || kind === 'interface') {
    const ms = members(symbol, exported.name, membersRequired(kind, exported.name));
    if (ms.length > 0) {
      entryMd.push(kind === 'interface' ? '| member | |' : '| member | |', '|---|---|');
      for (const m of ms) {
        const sig = `\`${m.signature.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}\``;
        entryMd.push(`| ${sig} | ${m.doc.replace(/\n+/g, ' ').replace(/\|/g, '\\|')} |`);
      }
      entryMd.push('');
    }
  }
  sections[kind].push({ name: exported.name, md: entryMd.join('\n') });
}

// Configuration properties, from their table.
const { PROPERTIES } = await import(pathToFileURL(join(root, 'dist', 'src', 'config', 'properties.js')).href);
const propRows = [];
for (const [name, def] of Object.entries(PROPERTIES).sort(([a], [b]) => a.localeCompare(b))) {
  if (typeof def.doc !== 'string' || def.doc.trim() === '') problems.push(`src/config/properties.ts: property ${name} has no doc`);
  const dflt = def.default === undefined ? '' : `\`${JSON.stringify(def.default)}\``;
  const aliases = (def.aliases ?? []).map((a) => `\`${a}\``).join(', ');
  propRows.push(`| \`${name}\` | ${def.clients.join(', ')} | ${def.type}${def.values ? `: ${def.values.map((v) => `\`${v}\``).join(', ')}` : ''} | ${dflt} | ${(def.doc ?? '').replace(/\|/g, '\\|')}${aliases ? ` (also: ${aliases})` : ''} |`);
}

const TITLES = {
  class: 'Classes', error: 'Errors', function: 'Functions', constant: 'Constants', interface: 'Interfaces',
  type: 'Types', enum: 'Enums', other: 'Other',
};
const md = [
  '# gregor API reference',
  '',
  '<!-- Generated by scripts/gen-api-docs.mjs from the doc comments of src/index.ts\'s exports: edit the source, then `npm run docs`. -->',
  '',
  'Everything below is exported by `gregor` (`import { ... } from \'gregor\'` or `require(\'gregor\')`); deeper paths are',
  'internal. Configuration is given as Kafka property names (the Java client\'s, with librdkafka\'s spellings as aliases):',
  'see [Configuration properties](#configuration-properties).',
  '',
  '## Contents',
  '',
  ...Object.entries(sections).filter(([, list]) => list.length > 0).map(([k, list]) =>
    `- [${TITLES[k]}](#${anchor(TITLES[k])}): ${list.map((e) => `[${e.name}](#${anchor(e.name)})`).join(', ')}`),
  '- [Configuration properties](#configuration-properties)',
  '',
];
for (const [k, list] of Object.entries(sections)) {
  if (list.length === 0) continue;
  md.push(`## ${TITLES[k]}`, '', ...list.map((e) => e.md));
}
md.push('## Configuration properties', '',
  'Every property gregor reads, by canonical name, with the clients that take it (`resolveConfig`, `loadConfigFile`).',
  '', '| property | clients | type | default | meaning |', '|---|---|---|---|---|', ...propRows, '');
const generated = md.join('\n');

// ---- links ----
/** The anchors of a markdown text's headings, as GitHub numbers repeated ones (-1, -2...). */
function headingsOf(text) {
  const anchors = new Set();
  const counts = new Map();
  let fence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = anchor(m[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function checkLinks(file, text) {
  let fence = false;
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.startsWith('```')) fence = !fence;
    if (fence) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/i.test(target)) continue; // external: not checked (no network in CI)
      const [path, hash] = target.split('#');
      const resolved = path === '' ? file : resolve(dirname(file), path);
      const where = `${relative(root, file)}:${i + 1}: link ${target}`;
      if (resolved !== outFile && !existsSync(resolved)) { problems.push(`${where}: no such file`); continue; }
      if (hash !== undefined && resolved.endsWith('.md')) {
        const anchors = headingsOf(resolved === outFile ? generated : readFileSync(resolved, 'utf8'));
        if (!anchors.has(hash)) problems.push(`${where}: no heading #${hash}`);
      }
    }
  });
}

checkLinks(outFile, generated);
for (const f of ['README.md', 'CHANGELOG.md']) checkLinks(join(root, f), readFileSync(join(root, f), 'utf8'));
if (!readFileSync(join(root, 'README.md'), 'utf8').includes('docs/api.md')) problems.push('README.md does not link docs/api.md');

if (check && (!existsSync(outFile) || readFileSync(outFile, 'utf8') !== generated)) {
  problems.push('docs/api.md is not what the source generates: run `npm run docs` and commit it');
}
if (!check) {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, generated);
}
const count = Object.values(sections).reduce((n, l) => n + l.length, 0);
if (problems.length > 0) {
  for (const p of problems) console.error(`docs: ${p}`);
  console.error(`docs: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`docs: ${check ? 'checked' : 'wrote'} ${relative(root, outFile)}: ${count} exports, ${propRows.length} configuration properties`);
