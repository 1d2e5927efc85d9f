//! Joins several of the splitter's chunks into one wasm module.
//!
//! A chunk made by `wasm-split-cli` imports the main module's memory, its
//! function table and a few of its globals (the stack pointer), and defines
//! functions that it places into that table with active element segments at
//! fixed offsets, and bytes that it places into that memory with active data
//! segments at fixed addresses. Chunks call each other only through the
//! table. So a module holding the definitions of several chunks, with each
//! index space shifted and the shared imports declared once, does on
//! instantiation exactly what instantiating each of them would do.
//!
//! Anything outside that shape (a chunk that defines a memory or a table, has
//! a start function, or imports the same name with another type) is refused,
//! so the build fails rather than produce a module that behaves differently.
//! The result is validated before it is returned.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};
use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    CodeSection, DataCountSection, DataSection, ElementSection, EntityType, ExportSection,
    FunctionSection, GlobalSection, ImportSection, Module, TypeSection,
};
use wasmparser::{Parser, Payload, TypeRef, Validator, WasmFeatures};

/// Where one input's indices land in the joined module.
#[derive(Default)]
struct Shift {
    types: u32,
    /// Imported functions by the input's index, then its own from `funcs`.
    imported_funcs: Vec<u32>,
    funcs: u32,
    imported_globals: Vec<u32>,
    globals: u32,
    tables: Vec<u32>,
    memories: Vec<u32>,
    data: u32,
    elements: u32,
}

impl Reencode for Shift {
    type Error = anyhow::Error;

    fn type_index(&mut self, ty: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        Ok(self.types + ty)
    }
    fn function_index(&mut self, f: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        Ok(match self.imported_funcs.get(f as usize) {
            Some(&joined) => joined,
            None => self.funcs + f - self.imported_funcs.len() as u32,
        })
    }
    fn global_index(&mut self, g: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        Ok(match self.imported_globals.get(g as usize) {
            Some(&joined) => joined,
            None => self.globals + g - self.imported_globals.len() as u32,
        })
    }
    fn table_index(&mut self, t: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        self.tables
            .get(t as usize)
            .copied()
            .ok_or_else(|| reencode::Error::UserError(anyhow!("table {t} is not imported")))
    }
    fn memory_index(&mut self, m: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        self.memories
            .get(m as usize)
            .copied()
            .ok_or_else(|| reencode::Error::UserError(anyhow!("memory {m} is not imported")))
    }
    fn data_index(&mut self, d: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        Ok(self.data + d)
    }
    fn element_index(&mut self, e: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        Ok(self.elements + e)
    }
}

/// The imports of the joined module: each (module, name) once, in the order
/// first seen, with its index in its kind's index space.
#[derive(Default)]
struct Imports {
    list: Vec<(String, String, TypeRef)>,
    index: HashMap<(String, String), (TypeRef, u32)>,
    counts: [u32; 4], // functions, tables, memories, globals
}

impl Imports {
    fn slot(ty: &TypeRef) -> Result<usize> {
        Ok(match ty {
            TypeRef::Func(_) | TypeRef::FuncExact(_) => 0,
            TypeRef::Table(_) => 1,
            TypeRef::Memory(_) => 2,
            TypeRef::Global(_) => 3,
            TypeRef::Tag(_) => bail!("tag imports are not supported"),
        })
    }

    /// The joined index of an import; function imports are keyed with their
    /// type already shifted, so two inputs importing one name must agree.
    fn add(&mut self, module: &str, name: &str, ty: TypeRef) -> Result<u32> {
        let key = (module.to_string(), name.to_string());
        if let Some((seen, at)) = self.index.get(&key) {
            if *seen != ty {
                bail!("{module}.{name} is imported with two types ({seen:?}, {ty:?})");
            }
            return Ok(*at);
        }
        let slot = Self::slot(&ty)?;
        let at = self.counts[slot];
        self.counts[slot] += 1;
        self.index.insert(key, (ty, at));
        self.list.push((module.to_string(), name.to_string(), ty));
        Ok(at)
    }
}

/// The features rustc's wasm32-unknown-unknown target uses (and the
/// optimiser is told about in scripts/wasm-opt-all.mjs).
fn features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::REFERENCE_TYPES
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::CALL_INDIRECT_OVERLONG
        | WasmFeatures::BULK_MEMORY_OPT
        | WasmFeatures::FLOATS
}

/// Validates `bytes` with the features the app's modules may use.
pub fn validate(bytes: &[u8]) -> Result<()> {
    Validator::new_with_features(features())
        .validate_all(bytes)
        .map(|_| ())
        .context("invalid wasm")
}

/// Sizes that decide the grouping: bytes of every section except custom
/// ones (names, producers), which the optimiser strips anyway.
pub fn payload_len(bytes: &[u8]) -> Result<u64> {
    let mut total = 0u64;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::CustomSection(_) => {}
            other => {
                if let Some((_, range)) = other.as_section() {
                    total += range.len() as u64;
                }
            }
        }
    }
    Ok(total)
}

/// One input, read once to learn its index spaces and once to copy it.
#[derive(Default)]
struct Counts {
    types: u32,
    funcs: u32,
    globals: u32,
    data: u32,
    elements: u32,
}

/// Joins `inputs` (each a whole wasm module of the shape above) into one
/// module.
pub fn join(inputs: &[&[u8]]) -> Result<Vec<u8>> {
    for (i, bytes) in inputs.iter().enumerate() {
        validate(bytes).with_context(|| format!("input {i}"))?;
    }

    // Pass 1: imports (shared), and how many of each kind every input defines.
    let mut imports = Imports::default();
    let mut shifts = Vec::with_capacity(inputs.len());
    let mut totals = Counts::default();
    let mut any_data_count = false;
    for (i, bytes) in inputs.iter().enumerate() {
        let mut shift = Shift {
            types: totals.types,
            data: totals.data,
            elements: totals.elements,
            ..Shift::default()
        };
        let mut own = Counts::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.with_context(|| format!("input {i}"))? {
                Payload::TypeSection(s) => own.types = s.count(),
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        let import = import?;
                        let ty = match import.ty {
                            TypeRef::Func(t) => TypeRef::Func(shift.types + t),
                            TypeRef::FuncExact(t) => TypeRef::FuncExact(shift.types + t),
                            other => other,
                        };
                        let at = imports.add(import.module, import.name, ty)?;
                        match Imports::slot(&ty)? {
                            0 => shift.imported_funcs.push(at),
                            1 => shift.tables.push(at),
                            2 => shift.memories.push(at),
                            _ => shift.imported_globals.push(at),
                        }
                    }
                }
                Payload::FunctionSection(s) => own.funcs = s.count(),
                Payload::GlobalSection(s) => own.globals = s.count(),
                Payload::TableSection(_) => bail!("input {i} defines a table"),
                Payload::MemorySection(_) => bail!("input {i} defines a memory"),
                Payload::TagSection(_) => bail!("input {i} defines a tag"),
                Payload::StartSection { .. } => bail!("input {i} has a start function"),
                Payload::DataSection(s) => own.data = s.count(),
                Payload::DataCountSection { .. } => any_data_count = true,
                Payload::ElementSection(s) => own.elements = s.count(),
                _ => {}
            }
        }
        shift.funcs = totals.funcs; // made absolute below, once imports are known
        shift.globals = totals.globals;
        totals.types += own.types;
        totals.funcs += own.funcs;
        totals.globals += own.globals;
        totals.data += own.data;
        totals.elements += own.elements;
        shifts.push(shift);
    }
    for shift in &mut shifts {
        shift.funcs += imports.counts[0];
        shift.globals += imports.counts[3];
    }

    // Pass 2: copy every section, shifted.
    let mut types = TypeSection::new();
    let mut functions = FunctionSection::new();
    let mut globals = GlobalSection::new();
    let mut exports = ExportSection::new();
    let mut export_names = HashMap::new();
    let mut elements = ElementSection::new();
    let mut code = CodeSection::new();
    let mut data = DataSection::new();
    for (i, (bytes, shift)) in inputs.iter().zip(shifts.iter_mut()).enumerate() {
        let fail = |e: reencode::Error<anyhow::Error>| anyhow!("input {i}: {e}");
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::TypeSection(s) => shift.parse_type_section(&mut types, s).map_err(fail)?,
                Payload::FunctionSection(s) => shift
                    .parse_function_section(&mut functions, s)
                    .map_err(fail)?,
                Payload::GlobalSection(s) => {
                    shift.parse_global_section(&mut globals, s).map_err(fail)?
                }
                Payload::ExportSection(s) => {
                    for export in s {
                        let export = export?;
                        if export_names.insert(export.name.to_string(), i).is_some() {
                            bail!("two inputs export {}", export.name);
                        }
                        shift.parse_export(&mut exports, export).map_err(fail)?;
                    }
                }
                Payload::ElementSection(s) => shift
                    .parse_element_section(&mut elements, s)
                    .map_err(fail)?,
                Payload::CodeSectionEntry(body) => {
                    shift.parse_function_body(&mut code, body).map_err(fail)?
                }
                Payload::DataSection(s) => shift.parse_data_section(&mut data, s).map_err(fail)?,
                _ => {}
            }
        }
    }

    let mut import_section = ImportSection::new();
    for (module, name, ty) in &imports.list {
        let ty: EntityType = match *ty {
            // Already shifted in pass 1.
            TypeRef::Func(t) => EntityType::Function(t),
            other => reencode::RoundtripReencoder
                .entity_type(other)
                .map_err(|e| anyhow!("import {module}.{name}: {e}"))?,
        };
        import_section.import(module, name, ty);
    }

    let mut module = Module::new();
    module.section(&types);
    module.section(&import_section);
    module.section(&functions);
    if totals.globals > 0 {
        module.section(&globals);
    }
    module.section(&exports);
    module.section(&elements);
    if any_data_count {
        module.section(&DataCountSection { count: totals.data });
    }
    module.section(&code);
    module.section(&data);
    let bytes = module.finish();
    validate(&bytes).context("the joined module")?;
    Ok(bytes)
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
