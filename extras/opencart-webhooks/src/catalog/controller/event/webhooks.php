<?php
/**
 * ocdata webhooks, storefront side: order and customer events.
 *
 * Registered by the admin module's install() on (4.1 spelling; 4.0.2 uses "/" before the method):
 *   catalog/model/checkout/order.addHistory/before    -> orderBefore  (remembers the status it had)
 *   catalog/model/checkout/order.addHistory/after     -> orderAfter   (order.created on its first
 *                                                        status, order.updated after)
 *   catalog/model/account/customer.addCustomer/after  -> customerAfter (customer.registered)
 */
namespace Opencart\Catalog\Controller\Extension\OcdataWebhooks\Event;

require_once DIR_EXTENSION . 'ocdata_webhooks/system/library/sender.php';

class Webhooks extends \Opencart\System\Engine\Controller {
	/** @var array<int, int> order id => status before this request's addHistory */
	private static array $previous = [];

	public function orderBefore(string &$route, array &$args): void {
		$order_id = (int)($args[0] ?? 0);

		if (!$order_id || !$this->sender()) {
			return;
		}

		$this->load->model('checkout/order');

		$order_info = $this->model_checkout_order->getOrder($order_id);

		self::$previous[$order_id] = $order_info ? (int)$order_info['order_status_id'] : 0;
	}

	public function orderAfter(string &$route, array &$args, &$output): void {
		$order_id = (int)($args[0] ?? 0);
		$sender = $this->sender();

		if (!$order_id || !$sender) {
			return;
		}

		$this->load->model('checkout/order');

		$order_info = $this->model_checkout_order->getOrder($order_id);

		if (!$order_info || !(int)$order_info['order_status_id']) {
			return; // an order without a status is not placed yet ("missing order")
		}

		$previous = self::$previous[$order_id] ?? 0;
		unset(self::$previous[$order_id]);

		if (!$previous) {
			$sender->send('order.created', $this->store(), $this->orderData($order_info));
		} else {
			$sender->send('order.updated', $this->store(), [
				'order_id'                 => $order_id,
				'order_status_id'          => (int)$order_info['order_status_id'],
				'order_status'             => (string)($order_info['order_status'] ?? '') ?: null,
				'previous_order_status_id' => $previous,
				'comment'                  => (string)($args[2] ?? ''),
				'notify'                   => (bool)($args[3] ?? false),
				'total'                    => \Ocdata\Webhooks\Sender::money($order_info['total']),
				'currency_code'            => (string)$order_info['currency_code'],
			]);
		}
	}

	public function customerAfter(string &$route, array &$args, &$output): void {
		$customer_id = (int)$output;
		$sender = $this->sender();

		if (!$customer_id || !$sender) {
			return;
		}

		// the storefront's registration form posts no store or status: a new account is enabled
		$sender->send('customer.registered', $this->store(),
			\Ocdata\Webhooks\Sender::customerData($customer_id, (array)($args[0] ?? []), [
				'customer_group_id' => $this->config->get('config_customer_group_id'),
				'store_id'          => $this->config->get('config_store_id'),
				'status'            => true,
			]));
	}

	private function orderData(array $order): array {
		$products = [];

		foreach ($this->model_checkout_order->getProducts((int)$order['order_id']) as $product) {
			$products[] = [
				'product_id' => (int)$product['product_id'],
				'model'      => (string)$product['model'],
				'quantity'   => (int)$product['quantity'],
				'price'      => \Ocdata\Webhooks\Sender::money($product['price']),
				'total'      => \Ocdata\Webhooks\Sender::money($product['total']),
				'tax'        => \Ocdata\Webhooks\Sender::money($product['tax']),
			];
		}

		$totals = [];

		foreach ($this->model_checkout_order->getTotals((int)$order['order_id']) as $total) {
			$totals[] = [
				'code'       => (string)$total['code'],
				'title'      => html_entity_decode((string)$total['title'], ENT_QUOTES, 'UTF-8'),
				'value'      => \Ocdata\Webhooks\Sender::money($total['value']),
				'sort_order' => (int)$total['sort_order'],
			];
		}

		return [
			'order_id'          => (int)$order['order_id'],
			'order_status_id'   => (int)$order['order_status_id'],
			'order_status'      => (string)($order['order_status'] ?? '') ?: null,
			'customer_id'       => (int)$order['customer_id'],
			'customer_group_id' => (int)$order['customer_group_id'],
			'currency_code'     => (string)$order['currency_code'],
			'currency_value'    => \Ocdata\Webhooks\Sender::money($order['currency_value']),
			'total'             => \Ocdata\Webhooks\Sender::money($order['total']),
			'shipping_method'   => self::method($order['shipping_method'] ?? null, $order['shipping_code'] ?? null),
			'payment_method'    => self::method($order['payment_method'] ?? null, $order['payment_code'] ?? null),
			'shipping_country'  => self::text($order['shipping_iso_code_2'] ?? null),
			'shipping_zone'     => self::text($order['shipping_zone_code'] ?? null),
			'payment_country'   => self::text($order['payment_iso_code_2'] ?? null),
			'payment_zone'      => self::text($order['payment_zone_code'] ?? null),
			'products'          => $products,
			'totals'            => $totals,
		];
	}

	/** 4.0.2+/4.1 keep a chosen method as an array with its code; older orders as a name plus *_code. */
	private static function method($method, $code): ?string {
		if (is_array($method) && !empty($method['code'])) {
			return (string)$method['code'];
		}

		return self::text($code);
	}

	private static function text($value): ?string {
		return ($value === null || $value === '') ? null : (string)$value;
	}

	private function store(): array {
		return [
			'url'      => (string)($this->config->get('config_url') ?: (defined('HTTP_SERVER') ? HTTP_SERVER : '')),
			'store_id' => (int)$this->config->get('config_store_id'),
			'version'  => VERSION,
		];
	}

	private function sender(): ?\Ocdata\Webhooks\Sender {
		return \Ocdata\Webhooks\Sender::fromConfig($this->config, DIR_STORAGE);
	}
}
