//! Tests of `merge.rs`: joined modules against their parts.

use super::*;
use wasm_encoder::{
    ConstExpr, DataSegment, DataSegmentMode, ElementMode, ElementSegment, Elements, Function,
    GlobalType, Instruction, MemoryType, RefType, TableType, ValType,
};

/// A chunk as the splitter makes it: imports memory, table and the stack
/// pointer, defines `n` functions that call each other through the table
/// and write to memory, places them at `slot` and its bytes at `addr`.
fn chunk(slot: u32, addr: u32, bytes: &[u8], extra_import: bool) -> Vec<u8> {
    let mut m = Module::new();
    let mut t = TypeSection::new();
    t.ty().function([], [ValType::I32]);
    t.ty().function([ValType::I32], []);
    m.section(&t);
    let mut imp = ImportSection::new();
    if extra_import {
        imp.import("env", "f", EntityType::Function(1));
    }
    imp.import(
        "__wasm_split",
        "memory",
        MemoryType {
            minimum: 22,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        },
    );
    imp.import(
        "__wasm_split",
        "__indirect_function_table",
        TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 10000,
            maximum: None,
            shared: false,
        },
    );
    imp.import(
        "__wasm_split",
        "__wasm_split_shared0",
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
    );
    m.section(&imp);
    let own = u32::from(extra_import);
    let mut f = FunctionSection::new();
    f.function(0);
    f.function(1);
    m.section(&f);
    m.section(&ExportSection::new());
    let mut e = ElementSection::new();
    let funcs = [own, own + 1];
    e.segment(ElementSegment {
        mode: ElementMode::Active {
            table: None,
            offset: &ConstExpr::i32_const(slot as i32),
        },
        elements: Elements::Functions(funcs[..].into()),
    });
    m.section(&e);
    m.section(&DataCountSection { count: 1 });
    let mut c = CodeSection::new();
    let mut f0 = Function::new([]);
    f0.instruction(&Instruction::GlobalGet(0));
    f0.instruction(&Instruction::Drop);
    f0.instruction(&Instruction::I32Const(7));
    f0.instruction(&Instruction::Call(own + 1));
    f0.instruction(&Instruction::I32Const(slot as i32));
    f0.instruction(&Instruction::CallIndirect {
        type_index: 0,
        table_index: 0,
    });
    f0.instruction(&Instruction::End);
    c.function(&f0);
    let mut f1 = Function::new([]);
    f1.instruction(&Instruction::I32Const(addr as i32));
    f1.instruction(&Instruction::LocalGet(0));
    f1.instruction(&Instruction::I32Store8(wasm_encoder::MemArg {
        offset: 0,
        align: 0,
        memory_index: 0,
    }));
    if extra_import {
        f1.instruction(&Instruction::I32Const(1));
        f1.instruction(&Instruction::Call(0));
    }
    f1.instruction(&Instruction::End);
    c.function(&f1);
    m.section(&c);
    let mut d = DataSection::new();
    d.segment(DataSegment {
        mode: DataSegmentMode::Active {
            memory_index: 0,
            offset: &ConstExpr::i32_const(addr as i32),
        },
        data: bytes.iter().copied(),
    });
    m.section(&d);
    m.finish()
}

/// What a module does on instantiation and how it calls: the element
/// segments (offset, function bodies), data segments (address, bytes)
/// and imports, read back with wasmparser.
#[derive(Debug, PartialEq)]
struct Effect {
    imports: Vec<String>,
    elements: Vec<(i32, Vec<String>)>,
    data: Vec<(i32, Vec<u8>)>,
}

fn offset(expr: &wasmparser::ConstExpr) -> i32 {
    match expr.get_operators_reader().read().unwrap() {
        wasmparser::Operator::I32Const { value } => value,
        other => panic!("offset {other:?}"),
    }
}

fn effect(bytes: &[u8]) -> Effect {
    let mut bodies = Vec::new();
    let mut imports = Vec::new();
    let mut segs = Vec::new();
    let mut data = Vec::new();
    let mut imported_funcs = 0;
    let mut types: Vec<String> = Vec::new();
    for p in Parser::new(0).parse_all(bytes) {
        match p.unwrap() {
            Payload::TypeSection(s) => {
                for t in s.into_iter_err_on_gc_types() {
                    types.push(format!("{:?}", t.unwrap()));
                }
            }
            Payload::ImportSection(s) => {
                for i in s.into_imports() {
                    let i = i.unwrap();
                    if matches!(i.ty, TypeRef::Func(_)) {
                        imported_funcs += 1;
                    }
                    imports.push(format!("{}.{}", i.module, i.name));
                }
            }
            Payload::ElementSection(s) => {
                for e in s {
                    let e = e.unwrap();
                    let wasmparser::ElementKind::Active { offset_expr, .. } = e.kind else {
                        panic!("passive element")
                    };
                    let wasmparser::ElementItems::Functions(f) = e.items else {
                        panic!("expressions")
                    };
                    segs.push((
                        offset(&offset_expr),
                        f.into_iter().map(|f| f.unwrap()).collect::<Vec<_>>(),
                    ));
                }
            }
            Payload::CodeSectionEntry(b) => {
                // The body's operators, with calls resolved to the callee's
                // own text, so shifted indices compare equal.
                let ops: Vec<String> = b
                    .get_operators_reader()
                    .unwrap()
                    .into_iter()
                    .map(|o| match o.unwrap() {
                        // Type indices shift; the signature must not.
                        wasmparser::Operator::CallIndirect { type_index, .. } => {
                            format!("CallIndirect {}", types[type_index as usize])
                        }
                        other => format!("{other:?}"),
                    })
                    .collect();
                bodies.push(ops);
            }
            Payload::DataSection(s) => {
                for d in s {
                    let d = d.unwrap();
                    let wasmparser::DataKind::Active { offset_expr, .. } = d.kind else {
                        panic!("passive data")
                    };
                    data.push((offset(&offset_expr), d.data.to_vec()));
                }
            }
            _ => {}
        }
    }
    let resolve = |f: u32| -> String {
        if f < imported_funcs {
            format!("import {f}")
        } else {
            let body = &bodies[(f - imported_funcs) as usize];
            body.iter()
                .map(|op| {
                    // A direct call names its callee by body, one level deep.
                    if let Some(n) = op.strip_prefix("Call { function_index: ") {
                        let n: u32 = n.trim_end_matches(" }").parse().unwrap();
                        if n < imported_funcs {
                            return "call import".to_string();
                        }
                        return format!("call {:?}", bodies[(n - imported_funcs) as usize]);
                    }
                    op.clone()
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    Effect {
        imports,
        elements: segs
            .into_iter()
            .map(|(o, fs)| (o, fs.into_iter().map(resolve).collect()))
            .collect(),
        data,
    }
}

#[test]
fn the_joined_module_places_what_each_input_placed() {
    let a = chunk(100, 5000, b"first", false);
    let b = chunk(200, 6000, b"second", true);
    let c = chunk(300, 7000, b"", false);
    let joined = join(&[&a, &b, &c]).unwrap();
    let (ea, eb, ec) = (effect(&a), effect(&b), effect(&c));
    let ej = effect(&joined);
    // Shared imports once, in the order first seen; the function import
    // of the second input kept.
    assert_eq!(
        ej.imports,
        vec![
            "__wasm_split.memory",
            "__wasm_split.__indirect_function_table",
            "__wasm_split.__wasm_split_shared0",
            "env.f"
        ]
    );
    assert_eq!(
        ej.elements,
        [ea.elements, eb.elements, ec.elements].concat()
    );
    assert_eq!(ej.data, [ea.data, eb.data, ec.data].concat());
}

#[test]
fn shapes_it_cannot_join_fail_the_build() {
    let a = chunk(100, 5000, b"a", false);
    // The same import name with another type.
    let mut other = Module::new();
    let mut imp = ImportSection::new();
    imp.import(
        "__wasm_split",
        "memory",
        MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        },
    );
    other.section(&imp);
    let err = join(&[&a, &other.finish()]).unwrap_err().to_string();
    assert!(err.contains("two types"), "{err}");
    // A start function.
    let mut start = Module::new();
    let mut t = TypeSection::new();
    t.ty().function([], []);
    start.section(&t);
    let mut f = FunctionSection::new();
    f.function(0);
    start.section(&f);
    start.section(&wasm_encoder::StartSection { function_index: 0 });
    let mut c = CodeSection::new();
    let mut body = Function::new([]);
    body.instruction(&Instruction::End);
    c.function(&body);
    start.section(&c);
    let err = join(&[&a, &start.finish()]).unwrap_err().to_string();
    assert!(err.contains("start function"), "{err}");
    // Not wasm at all.
    assert!(join(&[&a, b"not wasm"]).is_err());
}

#[test]
fn payload_leaves_out_custom_sections() {
    let a = chunk(1, 2, b"xyz", false);
    let plain = payload_len(&a).unwrap();
    let mut with_names = a.clone();
    let custom = wasm_encoder::CustomSection {
        name: "name".into(),
        data: vec![0u8; 500].into(),
    };
    let mut extra = Vec::new();
    wasm_encoder::Encode::encode(&custom, &mut extra);
    with_names.push(0);
    with_names.extend(extra);
    assert_eq!(payload_len(&with_names).unwrap(), plain);
    assert!(plain > 20 && plain < a.len() as u64);
}
