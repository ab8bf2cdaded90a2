/**
 * The three mapping forms for ConnectWise, as the partner portal shows them. Ticket mapping
 * needs every field once set; `status` is the status of new tickets and `closedStatus` the one
 * used to close them (only statuses flagged closed on the chosen board).
 */
import type { FieldSpec, MappingKind } from '../core/types';

const picklist = (name: string, label: string, dependsOn: string[] = []): FieldSpec => ({ name, label, dependsOn, type: 'picklist' });

export const CONNECTWISE_FIELDS: Readonly<Record<MappingKind, readonly FieldSpec[]>> = {
  ticket: [
    picklist('board', 'Service Board'),
    picklist('status', 'Status', ['board']),
    picklist('closedStatus', 'Closed Status', ['board']),
    picklist('type', 'Type', ['board']),
    picklist('subtype', 'Subtype', ['board']),
    picklist('item', 'Item', ['board']),
    picklist('priority', 'Priority'),
    picklist('sla', 'SLA'),
  ],
  plan: [
    picklist('category', 'Category'),
    picklist('subcategory', 'Subcategory', ['category']),
    picklist('productType', 'Product Type'),
    picklist('catalogItem', 'Catalog Item', ['category', 'subcategory']),
  ],
  organization: [
    picklist('company', 'Company'),
    picklist('agreement', 'Agreement', ['company']),
    picklist('agreementAddition', 'Agreement Addition', ['agreement']),
  ],
};
